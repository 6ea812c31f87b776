"""The answer CD read back with isoinfo (genisoimage); a virtio-win ISO made by genisoimage
(as the real one is) read by our driver picker."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.unit.image.build.conftest import virtio_files, write_spec_files
from wincloud.image.media import build_media, choose_drivers, read_virtio_drivers
from wincloud.image.spec import load_spec

pytestmark = pytest.mark.skipif(
    shutil.which("isoinfo") is None or shutil.which("genisoimage") is None,
    reason="genisoimage not installed",
)


def isoinfo(*args: str) -> str:
    return subprocess.run(
        ["isoinfo", *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def test_isoinfo_sees_label_extensions_and_files(tmp_path):
    files = build_media(load_spec(write_spec_files(tmp_path / "spec")), tmp_path / "answer.iso")
    iso = str(tmp_path / "answer.iso")
    header = isoinfo("-d", "-i", iso)
    assert "Volume id: WINCLOUD" in header
    assert "Joliet with UCS level 3 found" in header
    assert "Rock Ridge signatures version 1 found" in header
    listed = {line.strip() for line in isoinfo("-J", "-f", "-i", iso).splitlines()}
    assert {f"/{path}" for path in files} <= listed
    assert "/$WinPEDriver$/viostor/viostor.inf" in listed
    assert isoinfo("-R", "-x", "/SHA256SUMS", "-i", iso).encode() == files["SHA256SUMS"]
    assert (
        isoinfo("-J", "-x", "/wincloud/build.ps1", "-i", iso).encode()
        == files["wincloud/build.ps1"]
    )


def test_sha256sum_checks_what_isoinfo_extracts(tmp_path):
    files = build_media(load_spec(write_spec_files(tmp_path / "spec")), tmp_path / "answer.iso")
    root = tmp_path / "extracted"
    for path in files:
        data = subprocess.run(
            ["isoinfo", "-J", "-x", f"/{path}", "-i", str(tmp_path / "answer.iso")],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=root,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len(files) - 1


def test_genisoimage_virtio_iso_is_read(tmp_path):
    tree = tmp_path / "virtio"
    for path, data in virtio_files().items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_bytes(data)
    iso = tmp_path / "virtio-win.iso"
    subprocess.run(
        ["genisoimage", "-quiet", "-J", "-R", "-V", "virtio-win", "-o", str(iso), str(tree)],
        check=True,
        timeout=60,
    )
    drivers = read_virtio_drivers(iso, choose_drivers("11", "arm64", "virtio", "virtio"))
    assert drivers.winpe["$WinPEDriver$/viostor/viostor.sys"] == b"viostor/w11/ARM64 sys\n"
