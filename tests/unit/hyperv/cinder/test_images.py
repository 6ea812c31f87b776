"""Glance images <-> VHDX volume files with our VHD library; qemu-img reads the results when it
is installed (an independent reader)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wincloud.errors import ImageError
from wincloud.hyperv import vhd
from wincloud.hyperv.cinder.images import image_to_vhdx, vhdx_to_image

MIB = 1024 * 1024
DATA = b"wincloud" * 512  # 4 KiB at offset 0 and again at 3 MiB


def raw_image(tmp_path: Path, size: int = 4 * MIB) -> Path:
    path = tmp_path / "image.raw"
    with path.open("wb") as f:
        f.truncate(size)
        f.write(DATA)
        f.seek(3 * MIB)
        f.write(DATA)
    return path


def contents(path: Path) -> bytes:
    with vhd.open_disk(path) as disk:
        return disk.read(0, 4096) + disk.read(3 * MIB, 4096)


def test_a_raw_image_becomes_a_dynamic_vhdx_of_the_volume_size(tmp_path: Path):
    out = tmp_path / "volume.vhdx"
    assert image_to_vhdx(raw_image(tmp_path), "raw", out, 16 * MIB) == 4 * MIB
    info = vhd.inspect(out)
    assert (info.format, info.virtual_size) == ("vhdx", 16 * MIB)
    assert contents(out) == DATA * 2
    if shutil.which("qemu-img"):
        seen = json.loads(
            subprocess.run(
                ["qemu-img", "info", "--output=json", "-f", "vhdx", str(out)],
                check=True,
                capture_output=True,
            ).stdout
        )
        assert seen["virtual-size"] == 16 * MIB


def test_a_vhd_image_converts_too(tmp_path: Path):
    source = tmp_path / "image.vhd"
    vhd.convert(raw_image(tmp_path), source, fmt="vhd")
    out = tmp_path / "volume.vhdx"
    image_to_vhdx(source, "vhd", out, 8 * MIB)
    assert contents(out) == DATA * 2


def test_a_raw_label_on_a_vhdx_file_is_refused(tmp_path: Path):
    disguised = tmp_path / "image.raw"
    vhd.create_disk(tmp_path / "x.vhdx", 4 * MIB)
    (tmp_path / "x.vhdx").rename(disguised)
    with pytest.raises(ImageError) as info:
        image_to_vhdx(disguised, "raw", tmp_path / "out.vhdx", 8 * MIB)
    assert "labelled raw but its data is vhdx" in str(info.value)


def test_an_image_larger_than_the_volume_and_unknown_formats_are_refused(tmp_path: Path):
    with pytest.raises(ImageError, match="larger than the volume"):
        image_to_vhdx(raw_image(tmp_path), "raw", tmp_path / "out.vhdx", 2 * MIB)
    with pytest.raises(ImageError, match="not supported"):
        image_to_vhdx(raw_image(tmp_path), "qcow2", tmp_path / "out.vhdx", 8 * MIB)
    assert not (tmp_path / "out.vhdx").exists()


def test_a_volume_goes_out_as_vhdx_vhd_or_raw(tmp_path: Path):
    volume = tmp_path / "volume.vhdx"
    image_to_vhdx(raw_image(tmp_path), "raw", volume, 4 * MIB)
    assert vhdx_to_image(volume, "vhdx", tmp_path / "same.vhdx") == volume
    as_vhd = vhdx_to_image(volume, "vhd", tmp_path / "image.vhd")
    assert vhd.detect_format(as_vhd) == "vhd" and contents(as_vhd) == DATA * 2
    as_raw = vhdx_to_image(volume, "raw", tmp_path / "image.img")
    assert as_raw.stat().st_size == 4 * MIB and as_raw.read_bytes()[:4096] == DATA
    with pytest.raises(ImageError):
        vhdx_to_image(volume, "qcow2", tmp_path / "image.qcow2")
