"""A qcow2 cut short (an interrupted copy) is refused before libguestfs opens it: it read as an
empty disk, so inspect said "windows: not found" with exit status 0."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from wincloud.cli import main

pytestmark = pytest.mark.skipif(
    shutil.which("qemu-img") is None or shutil.which("qemu-io") is None,
    reason="qemu-utils not installed",
)


def _qcow2(path: Path, *, cut_to: int | None = None) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"], check=True)
    subprocess.run(
        ["qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 4M", str(path)],
        check=True,
        capture_output=True,
    )
    if cut_to is not None:
        with path.open("r+b") as handle:
            handle.truncate(cut_to)
    return path


def test_truncated_qcow2_is_refused_before_libguestfs(tmp_path, capsys):
    from wincloud.errors import ImageError
    from wincloud.image.disk._tools import open_disk

    image = _qcow2(tmp_path / "cut short.qcow2", cut_to=256 * 1024)
    with pytest.raises(ImageError, match="the qcow2 image is damaged") as caught:
        with open_disk(image):
            pass
    assert caught.value.subject == str(image)
    assert "copy it again" in (caught.value.hint or "")


def test_inspect_of_a_truncated_qcow2_fails_in_one_line(tmp_path, capsys):
    image = _qcow2(tmp_path / "cut.qcow2", cut_to=256 * 1024)
    with pytest.raises(SystemExit) as exited:
        main(["image", "inspect", str(image)])
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error[image-error]: the qcow2 image is damaged")
    assert err[0].endswith(str(image)) and len(err) == 2


def test_whole_qcow2_passes_the_check(tmp_path):
    from wincloud.image.disk._tools import check_image

    check_image(_qcow2(tmp_path / "whole.qcow2"), "qcow2")
