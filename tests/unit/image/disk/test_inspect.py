"""Inspection over volume trees: Windows facts from the hives, firmware from the layout."""

from __future__ import annotations

import pytest

from tests.image_hives import write_hive
from wincloud.image.disk.inspect import inspect_disk
from wincloud.image.disk.volume import DirDisk, DirVolume
from wincloud.image.disk.windows import inf_version, pe_architecture, read_facts, windows_version


@pytest.mark.parametrize(
    ("kind", "build", "version"),
    [
        ("Server", 14393, "2016"),
        ("Server", 17763, "2019"),
        ("Server", 20348, "2022"),
        ("Server", 26100, "2025"),
        ("Server", 25398, None),
        ("Client", 19045, "10"),
        ("Client", 22631, "11"),
        ("Client", 9600, None),
        (None, 20348, None),
    ],
)
def test_version_from_build(kind, build, version):
    assert windows_version(kind, build) == version


@pytest.mark.parametrize("version", ["2016", "2019", "2022", "2025", "10", "11"])
def test_facts_from_hives(windows_dir, version):
    facts = read_facts(DirVolume(windows_dir(version=version)))
    assert facts.windows.version == version
    assert facts.windows.architecture == "amd64"
    assert facts.generalized and facts.image_state == "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE"
    assert facts.agent_version == "0.1.0" and not facts.agent_staged
    assert facts.drivers == {"netkvm": "100.95.104.26600", "viostor": "100.95.104.26600"}
    assert facts.boot_drivers == {"virtio": True, "scsi": False}


def test_not_generalized_no_agent_no_boot_driver(windows_dir):
    facts = read_facts(
        DirVolume(windows_dir(generalized=False, agent=False, drivers={"viostor": 3}))
    )
    assert not facts.generalized and facts.image_state == "IMAGE_STATE_COMPLETE"
    assert facts.agent_version is None
    assert facts.boot_drivers["virtio"] is False  # demand start is not boot start


def test_boot_driver_needs_its_file(windows_dir):
    root = windows_dir()
    (root / "Windows/System32/drivers/viostor.sys").unlink()
    assert read_facts(DirVolume(root)).boot_drivers["virtio"] is False


def test_qemu_ga_service(windows_dir):
    assert read_facts(DirVolume(windows_dir(qemu_ga=True))).qemu_ga is True


def test_uefi_layout(windows_dir, tmp_path):
    esp = tmp_path / "esp"
    (esp / "EFI/Microsoft/Boot").mkdir(parents=True)
    write_hive(esp / "EFI/Microsoft/Boot/BCD", {})
    disk = DirDisk({"/dev/sda1": ("vfat", esp), "/dev/sda3": ("ntfs", windows_dir())}, table="gpt")
    report = inspect_disk(disk, fmt="qcow2", virtual_size=1, actual_size=1)
    assert (report.partition_table, report.firmware, report.windows_device) == (
        "gpt",
        "uefi",
        "/dev/sda3",
    )
    assert report.to_json()["windows"]["build"] == 20348


def test_bios_layout(windows_dir):
    disk = DirDisk({"/dev/sda1": ("ntfs", windows_dir(firmware="bios"))}, table="mbr")
    report = inspect_disk(disk, fmt="raw", virtual_size=1, actual_size=1)
    assert report.firmware == "bios"


def test_no_windows(tmp_path):
    disk = DirDisk({"/dev/sda1": ("ntfs", tmp_path)}, table="gpt")
    report = inspect_disk(disk, fmt="raw", virtual_size=1, actual_size=1)
    assert report.windows is None and report.firmware is None


def test_inf_and_pe_parsing():
    from tests.image_disks import minimal_pe

    assert inf_version("[Version]\nDriverVer = 10/10/2024,100.95.104.26600\n") == "100.95.104.26600"
    assert inf_version("[Version]\n") is None
    assert pe_architecture(minimal_pe(0xAA64)) == "arm64"
    assert pe_architecture(b"not a PE" * 10) is None
