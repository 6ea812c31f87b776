"""inspect through libguestfs on the BIOS/MBR variant, as qcow2 (the other layout and format)."""

from __future__ import annotations

import subprocess

import pytest

from tests.image_disks import DiskSpec, build_disk
from wincloud.image.disk.inspect import inspect_image

pytestmark = pytest.mark.interop


def test_mbr_qcow2_disk_is_bios_and_not_generalized(image_tools, tmp_path):
    raw = build_disk(
        tmp_path / "bios.img",
        DiskSpec(firmware="bios", generalized=False, qemu_ga=True, version="2019"),
    )
    qcow2 = tmp_path / "bios.qcow2"
    subprocess.run(
        ["qemu-img", "convert", "-O", "qcow2", str(raw), str(qcow2)], check=True, timeout=120
    )
    report = inspect_image(qcow2)
    assert (report.format, report.partition_table, report.firmware) == ("qcow2", "mbr", "bios")
    assert report.virtual_size == raw.stat().st_size
    assert report.windows is not None and report.windows.version == "2019"
    assert report.windows.product_name == "Windows Server 2019 Datacenter"
    assert not report.generalized and report.image_state == "IMAGE_STATE_COMPLETE"
    assert report.qemu_ga is True
    assert report.boot_drivers == {"virtio": True, "scsi": False}
