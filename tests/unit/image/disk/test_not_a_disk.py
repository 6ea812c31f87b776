"""inspect, validate and customize on something that is not a disk image (a text file, an
empty file, an ISO-like blob, a folder, a missing path) fail in one line naming the file and
saying a disk image was expected, before any libguestfs appliance boots. A text file or an
empty file was inspected as a raw disk ("windows: not found", exit status 0)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from wincloud.cli import main

pytestmark = pytest.mark.skipif(shutil.which("qemu-img") is None, reason="qemu-utils needed")


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a disk\n" * 100)
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.img"
    path.touch()
    return path


def _blank(tmp_path: Path) -> Path:
    path = tmp_path / "blank.raw"
    path.write_bytes(bytes(1 << 20))
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "a-folder"
    path.mkdir()
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such.qcow2"


CASES = {
    "text": (_text, "not a disk image: no partition table or boot sector"),
    "empty": (_empty, "not a disk image: the file is empty"),
    "blank": (_blank, "not a disk image: no partition table or boot sector"),
    "folder": (_folder, "a folder, not a disk image"),
    "missing": (_missing, "no such file (expected a disk image)"),
}


def _run(*args: str) -> int:
    with pytest.raises(SystemExit) as exited:
        main(["image", *args])
    return exited.value.code  # type: ignore[return-value]


@pytest.mark.parametrize("case", sorted(CASES))
def test_inspect_refuses_what_is_not_a_disk(tmp_path, capsys, case):
    make, message = CASES[case]
    path = make(tmp_path)
    assert _run("inspect", str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"error[image-error]: {message}")
    assert err[0].endswith(f": {path}")
    assert err[1].startswith("hint: give a disk image (qcow2, raw, vhdx, vpc)")


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_what_is_not_a_disk(tmp_path, capsys, case):
    from tests.unit.image.build.conftest import write_spec_files

    spec = write_spec_files(tmp_path / "spec")
    make, message = CASES[case]
    path = make(tmp_path)
    assert _run("validate", str(path), "--spec", str(spec)) == 1
    err = capsys.readouterr().err.splitlines()
    assert message in err[0] and err[0].endswith(f": {path}")


@pytest.mark.parametrize("case", ["text", "folder", "missing"])
def test_customize_refuses_what_is_not_a_disk(tmp_path, capsys, case):
    make, message = CASES[case]
    path = make(tmp_path)
    before = path.read_bytes() if path.is_file() else None
    assert _run("customize", str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    assert message in err[0] and err[0].endswith(f": {path}")
    assert (path.read_bytes() if path.is_file() else None) == before


def test_a_blank_disk_with_a_format_is_refused_after_inspection():
    from wincloud.errors import ImageError
    from wincloud.image.disk.inspect import inspect_disk
    from wincloud.image.disk.volume import DirDisk

    with pytest.raises(ImageError, match="no partition table and no file system"):
        inspect_disk(DirDisk({}, table=None), fmt="qcow2", virtual_size=1 << 30, actual_size=0)


def test_a_disk_whose_only_device_is_unrecognised_is_refused(tmp_path):
    # raw data with a 0x55AA signature but garbage around it: libguestfs lists /dev/sda as
    # "unknown", and inspect said "windows: not found" with exit status 0
    from wincloud.errors import ImageError
    from wincloud.image.disk.inspect import inspect_disk
    from wincloud.image.disk.volume import DirDisk

    disk = DirDisk({"/dev/sda": ("unknown", tmp_path)}, table=None)
    with pytest.raises(ImageError, match="no partition table and no file system"):
        inspect_disk(disk, fmt="raw", virtual_size=4 << 20, actual_size=4 << 20)
