"""read_drive and friends: format detection, labels, damaged images, meta_data checks."""

from __future__ import annotations

import json
import os

import pytest

from tests.unit.configdrive.samples import ADMIN_PASS
from wincloud.configdrive import (
    META_DATA_PATH,
    DriveFormat,
    build_drive,
    detect_format,
    get_meta_data,
    read_drive,
    read_drive_label,
)
from wincloud.errors import DriveError

FORMATS = list(DriveFormat)


@pytest.fixture(params=FORMATS)
def drive(request, tmp_path, files):
    """A drive of each format, named so its extension lies about the format."""
    out = tmp_path / ("drive.iso" if request.param is DriveFormat.VFAT else "drive.img")
    build_drive(files, out, fmt=request.param)
    return out, request.param


def test_format_is_detected_from_content_not_name(drive):
    path, fmt = drive
    assert detect_format(path) is fmt


def test_label_is_config_2(drive):
    path, _ = drive
    assert read_drive_label(path) == "config-2"


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_label_names_found_and_expected(tmp_path, files, fmt):
    out = tmp_path / "other.img"
    build_drive(files, out, fmt=fmt, label="SCRATCH")
    with pytest.raises(DriveError) as err:
        read_drive(out)
    assert "'SCRATCH'" in str(err.value)
    assert "'config-2'" in str(err.value)
    assert str(out) in str(err.value)


@pytest.mark.parametrize("fmt", FORMATS)
def test_label_check_ignores_case_and_can_be_skipped(tmp_path, files, fmt):
    upper, other = tmp_path / "upper.img", tmp_path / "other.img"
    build_drive(files, upper, fmt=fmt, label="CONFIG-2")
    build_drive(files, other, fmt=fmt, label="SCRATCH")
    assert read_drive(upper) == files
    assert read_drive(other, label=None) == files
    assert read_drive(other, label="scratch") == files


def test_random_bytes_are_not_a_drive(tmp_path):
    junk = tmp_path / "junk.iso"
    junk.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(DriveError, match="not an ISO 9660 or FAT image") as err:
        read_drive(junk)
    assert str(junk) in str(err.value)
    assert err.value.hint


def test_empty_file_is_not_a_drive(tmp_path):
    empty = tmp_path / "empty.iso"
    empty.write_bytes(b"")
    with pytest.raises(DriveError, match="empty") as err:
        read_drive(empty)
    assert str(empty) in str(err.value)


@pytest.mark.parametrize("keep", [0x8800, 0xC000, 0.6])
def test_truncated_iso_is_a_drive_error(tmp_path, files, keep):
    out = tmp_path / "drive.iso"
    build_drive(files, out)
    data = out.read_bytes()
    out.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(DriveError, match=r"truncated|unreadable ISO 9660") as err:
        read_drive(out)
    assert str(out) in str(err.value)


@pytest.mark.parametrize("keep", [4096, 20_000, 0.5])
def test_truncated_vfat_is_a_drive_error(tmp_path, keep):
    files = {META_DATA_PATH: b'{"uuid": "u"}', "openstack/content/0000": os.urandom(3_000_000)}
    out = tmp_path / "drive.vfat"
    build_drive(files, out, fmt=DriveFormat.VFAT)
    data = out.read_bytes()
    out.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
    with pytest.raises(DriveError, match="truncated") as err:
        read_drive(out)
    assert str(out) in str(err.value)


def test_broken_fat_chain_is_a_drive_error(tmp_path, files):
    out = tmp_path / "drive.vfat"
    build_drive(files, out, fmt=DriveFormat.VFAT)
    data = bytearray(out.read_bytes())
    fat_sectors = int.from_bytes(data[22:24], "little")
    for copy in range(2):  # mark every cluster free in both FATs
        start = 512 * (1 + copy * fat_sectors)
        data[start + 4 : start + 512 * fat_sectors] = bytes(512 * fat_sectors - 4)
    out.write_bytes(bytes(data))
    with pytest.raises(DriveError, match="FAT chain"):
        read_drive(out)


def test_vfat_file_claiming_a_huge_size_is_refused(tmp_path, files):
    out = tmp_path / "drive.vfat"
    build_drive(files, out, fmt=DriveFormat.VFAT)
    data = bytearray(out.read_bytes())
    at = data.index(b"META_D~1JSO")
    data[at + 28 : at + 32] = (0xFFFFFFF0).to_bytes(4, "little")
    out.write_bytes(bytes(data))
    with pytest.raises(DriveError, match="over the limits"):
        read_drive(out)


def test_missing_path_is_a_drive_error(tmp_path):
    missing = tmp_path / "nope.iso"
    with pytest.raises(DriveError, match="cannot open") as err:
        read_drive(missing)
    assert str(missing) in str(err.value)


def test_directory_is_not_a_drive(tmp_path):
    with pytest.raises(DriveError, match="directory") as err:
        read_drive(tmp_path)
    assert err.value.hint


def test_meta_data_is_returned_when_valid(files):
    assert get_meta_data(files, subject="d.iso")["hostname"] == "win-01"


def test_missing_meta_data_is_named(files):
    del files[META_DATA_PATH]
    with pytest.raises(DriveError, match=META_DATA_PATH) as err:
        get_meta_data(files, subject="d.iso")
    assert "d.iso" in str(err.value)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"admin_pass": "' + ADMIN_PASS.encode() + b'", ',
        b"\xff\xfe not utf-8 " + ADMIN_PASS.encode(),
        b'["' + ADMIN_PASS.encode() + b'"]',
        json.dumps({"admin_pass": ADMIN_PASS}).encode(),
        json.dumps({"uuid": "", "admin_pass": ADMIN_PASS}).encode(),
    ],
)
def test_bad_meta_data_is_named_without_its_content(files, raw):
    files[META_DATA_PATH] = raw
    with pytest.raises(DriveError) as err:
        get_meta_data(files, subject="d.iso")
    assert f"d.iso:{META_DATA_PATH}" in str(err.value)
    assert ADMIN_PASS not in str(err.value)
    assert ADMIN_PASS not in (err.value.hint or "")


def test_files_come_back_sorted_by_path(drive, files):
    path, _ = drive
    assert list(read_drive(path)) == sorted(files)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    import threading

    fifo = tmp_path / "drive"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_drive(fifo)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # opening it waits for a writer: be that writer, then fail
        os.close(os.open(fifo, os.O_WRONLY))
        reader.join(timeout=10)
        pytest.fail("read_drive waited on the FIFO for a writer")
    assert len(outcome) == 1 and isinstance(outcome[0], DriveError)
    assert "FIFO" in str(outcome[0])
