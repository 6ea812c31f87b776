"""build_drive: round trips, determinism, atomic writes, limits and path checks."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.unit.configdrive.samples import small_drive
from wincloud.configdrive import MAX_DRIVE_BYTES, DriveFormat, build_drive, read_drive
from wincloud.errors import DriveError

FORMATS = list(DriveFormat)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_back_every_file(tmp_path, files, fmt):
    out = tmp_path / "drive.img"
    build_drive(files, out, fmt=fmt)
    assert read_drive(out) == files


@pytest.mark.parametrize("fmt", FORMATS)
def test_nova_reference_tree_round_trips(tmp_path, nova_files, fmt):
    out = tmp_path / f"nova.{fmt}"
    build_drive(nova_files, out, fmt=fmt)
    assert read_drive(out) == nova_files


@pytest.mark.parametrize("fmt", FORMATS)
def test_awkward_names_survive(tmp_path, fmt):
    files = {
        "openstack/latest/vendor_data2.json": b"2",
        "openstack/latest/vendor_data.json": b"1",
        "name with spaces.txt": b"s",
        "UPPER.TXT": b"u",
        "many.dots.in.name": b"d",
        "ünïcödé.txt": "ü".encode(),
        "x" * 64: b"long",
        "a/b/c/d/e/f/g/deep": b"deep",
        "empty": b"",
        **{f"vendor_data{n}.json": bytes([n]) for n in range(12)},
    }
    out = tmp_path / "names.img"
    build_drive(files, out, fmt=fmt)
    assert read_drive(out) == files


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_gives_identical_bytes_whatever_the_clock_and_zone(tmp_path, files, fmt):
    first, second = tmp_path / "a", tmp_path / "b"
    build_drive(files, first, fmt=fmt)
    time.sleep(1.01 - time.time() % 1)  # the second build starts in another second
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "Asia/Kathmandu")
        time.tzset()
        build_drive(dict(reversed(list(files.items()))), second, fmt=fmt)
    time.tzset()
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_content_gives_other_bytes(tmp_path, files, fmt):
    first, second = tmp_path / "a", tmp_path / "b"
    build_drive(files, first, fmt=fmt)
    build_drive({**files, "openstack/content/0000": b"other\n"}, second, fmt=fmt)
    assert first.read_bytes() != second.read_bytes()


def test_concurrent_iso_builds_stay_identical(tmp_path, nova_files):
    outs = [tmp_path / f"{n}.iso" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda out: build_drive(nova_files, out), outs))
    assert len({out.read_bytes() for out in outs}) == 1


def test_iso_volume_dates_are_the_fixed_epoch(tmp_path, files):
    out = tmp_path / "drive.iso"
    build_drive(files, out)
    pvd = out.read_bytes()[0x8000:0x8800]
    assert pvd[813:830] == b"1980010100000000\0"  # creation
    assert pvd[830:847] == b"1980010100000000\0"  # modification


def test_vfat_serial_comes_from_the_content(tmp_path, files):
    a, b = tmp_path / "a", tmp_path / "b"
    build_drive(files, a, fmt=DriveFormat.VFAT)
    build_drive(small_drive(uuid="00000000-0000-4000-8000-000000000000"), b, fmt="vfat")
    assert a.read_bytes()[39:43] != b.read_bytes()[39:43]


def test_large_file_gets_larger_clusters_and_round_trips(tmp_path):
    big = bytes(range(256)) * (40 * 4096)  # 40 MiB: too many 512-byte clusters for FAT16
    files = {"openstack/content/0000": big, "openstack/latest/meta_data.json": b"{}"}
    out = tmp_path / "big.img"
    build_drive(files, out, fmt=DriveFormat.VFAT)
    assert out.read_bytes()[13] > 1  # sectors per cluster
    assert read_drive(out) == files


@pytest.mark.parametrize("fmt", FORMATS)
def test_vfat_and_iso_images_are_whole_sectors(tmp_path, files, fmt):
    out = tmp_path / "drive.img"
    build_drive(files, out, fmt=fmt)
    assert out.stat().st_size % 2048 == 0


def test_new_image_is_private(tmp_path, files):
    out = tmp_path / "drive.iso"
    build_drive(files, out)
    assert out.stat().st_mode & 0o077 == 0


def test_failed_build_keeps_the_existing_file(tmp_path, files):
    out = tmp_path / "drive.iso"
    out.write_bytes(b"previous drive")
    with pytest.raises(DriveError):
        build_drive({**files, "/absolute": b"x"}, out)
    assert out.read_bytes() == b"previous drive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drive.iso"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_write_leaves_no_temporary_file(tmp_path, files, fmt):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep").write_bytes(b"k")
    with pytest.raises(DriveError, match="cannot write") as err:
        build_drive(files, out, fmt=fmt)
    assert str(out) in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert (out / "keep").read_bytes() == b"k"


def test_a_replaced_image_is_private_even_when_the_old_one_was_not(tmp_path, files):
    out = tmp_path / "drive.iso"
    out.write_bytes(b"previous drive")
    out.chmod(0o644)
    build_drive(files, out)
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)


@pytest.mark.parametrize("fmt", FORMATS)
def test_ctrl_c_while_writing_keeps_the_existing_file_and_no_temporary(
    tmp_path, files, fmt, ctrl_c_at_fsync
):
    out = tmp_path / "drive.img"
    out.write_bytes(b"previous drive")
    ctrl_c_at_fsync()
    with pytest.raises(KeyboardInterrupt):
        build_drive(files, out, fmt=fmt)
    assert out.read_bytes() == b"previous drive"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drive.img"]


def test_missing_output_directory_is_a_drive_error(tmp_path, files):
    out = tmp_path / "no" / "such" / "dir" / "drive.iso"
    with pytest.raises(DriveError) as err:
        build_drive(files, out)
    assert str(out) in str(err.value)
    assert err.value.hint
    assert not out.parent.exists()


def test_content_over_the_limit_is_refused_naming_the_file(tmp_path, files):
    out = tmp_path / "drive.iso"
    huge = {**files, "openstack/content/0001": bytes(MAX_DRIVE_BYTES)}
    with pytest.raises(DriveError) as err:
        build_drive(huge, out)
    assert "openstack/content/0001" in str(err.value)
    assert str(MAX_DRIVE_BYTES) in str(err.value)
    assert not out.exists()


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/openstack/latest/x", "relative"),
        ("openstack/../x", "'..'"),
        ("openstack//x", "empty"),
        ("openstack\\x", "relative"),
        ("open:stack/x", "character"),
        ("tab\there", "character"),
        ("ends-with-dot.", "ends"),
        (" leading-space", "space"),
        ("n" * 65, "longer"),
        ("a/b/c/d/e/f/g/h/i", "deeper"),
        ("emoji-\U0001f600", "character"),
    ],
)
def test_bad_paths_are_refused_by_name(tmp_path, files, path, why):
    with pytest.raises(DriveError, match=why) as err:
        build_drive({**files, path: b"x"}, tmp_path / "d.iso")
    assert path in str(err.value) or repr(path) in str(err.value)


def test_names_differing_only_in_case_are_refused(tmp_path):
    with pytest.raises(DriveError, match="case"):
        build_drive({"openstack/a": b"1", "OpenStack/b": b"2"}, tmp_path / "d.iso")


def test_a_path_cannot_be_file_and_directory(tmp_path):
    with pytest.raises(DriveError, match="both a file and a directory"):
        build_drive({"openstack": b"1", "openstack/latest/x": b"2"}, tmp_path / "d.iso")


def test_empty_map_is_refused(tmp_path):
    with pytest.raises(DriveError, match="nothing"):
        build_drive({}, tmp_path / "d.iso")


def test_text_content_is_refused(tmp_path):
    with pytest.raises(DriveError, match="bytes") as err:
        build_drive({"openstack/latest/user_data": "text"}, tmp_path / "d.iso")  # type: ignore[dict-item]
    assert "openstack/latest/user_data" in str(err.value)


@pytest.mark.parametrize("label", ["", "twelve-chars", "bad label", "ünï"])
def test_bad_labels_are_refused(tmp_path, files, label):
    with pytest.raises(DriveError, match="label"):
        build_drive(files, tmp_path / "d.iso", label=label)


def test_unknown_format_is_refused(tmp_path, files):
    with pytest.raises(DriveError, match="format"):
        build_drive(files, tmp_path / "d.img", fmt="udf")  # type: ignore[arg-type]


def test_a_fifo_at_the_output_path_is_refused_and_left_in_place(tmp_path, files):
    # build_drive renamed its image over whatever was at out: a FIFO (or, as root, a
    # device such as /dev/null) became a regular file
    import stat

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DriveError, match="device or special file") as info:
        build_drive(files, fifo)
    assert "dd if=" in (info.value.hint or "")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]
