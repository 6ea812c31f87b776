"""``inspect_image(path) -> ImageReport``: what a Windows disk image holds.

Format and sizes come from ``qemu-img info``; the partition table, firmware and the Windows
volume from libguestfs; everything about Windows from its hives (``windows.read_facts``). The
firmware is ``uefi`` when a FAT file system holds ``\\EFI\\Microsoft\\Boot\\BCD`` (an ESP with
Windows Boot Manager's store), ``bios`` when an NTFS volume on an MBR disk holds ``\\Boot\\BCD``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from wincloud.errors import ImageError
from wincloud.image.disk.volume import Disk
from wincloud.image.disk.windows import WindowsInfo, has_windows, read_facts

ESP_BCD: Final = "EFI/Microsoft/Boot/BCD"
BIOS_BCD: Final = "Boot/BCD"


@dataclass(frozen=True)
class ImageReport:
    format: str
    virtual_size: int
    actual_size: int
    partition_table: str | None  # gpt | mbr | None
    firmware: str | None  # uefi | bios | None
    windows: WindowsInfo | None
    generalized: bool = False
    image_state: str | None = None
    agent_version: str | None = None
    qemu_ga: bool = False
    drivers: dict[str, str | None] = field(default_factory=dict)
    boot_drivers: dict[str, bool] = field(default_factory=dict)
    # Beyond the shared interface: what `customize` staged for first boot, and its provenance.
    agent_staged: bool = False
    staged_drivers: list[str] = field(default_factory=list)
    virtio_win_version: str | None = None
    windows_device: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DiskLayout:
    partition_table: str | None
    firmware: str | None
    windows_device: str | None


def find_layout(disk: Disk) -> DiskLayout:
    """Partition table, firmware and the device holding Windows."""
    table = disk.partition_table()
    firmware: str | None = None
    windows: str | None = None
    bios_boot = False
    for device, fstype in disk.filesystems().items():
        if fstype in ("vfat", "msdos", "fat"):
            with disk.mount(device) as volume:
                if volume.find(ESP_BCD) is not None:
                    firmware = "uefi"
        elif fstype == "ntfs":
            with disk.mount(device) as volume:
                if windows is None and has_windows(volume):
                    windows = device
                bios_boot |= volume.find(BIOS_BCD) is not None
    if firmware is None and bios_boot and table in ("mbr", None):
        firmware = "bios"
    return DiskLayout(table, firmware, windows)


def inspect_disk(disk: Disk, *, fmt: str, virtual_size: int, actual_size: int) -> ImageReport:
    """ImageError when the disk holds neither a partition table nor a file system (a blank
    disk, or not a disk at all): there is nothing to report on."""
    layout = find_layout(disk)
    known = [kind for kind in disk.filesystems().values() if kind != "unknown"]
    if layout.partition_table is None and not known:  # libguestfs: "unknown" = not recognised
        raise ImageError(
            "not a Windows disk: no partition table and no file system (a blank disk?)",
            subject=disk.where,
            hint="give a disk image (qcow2, raw, vhdx, vpc) that holds a Windows installation",
        )
    base = ImageReport(
        format=fmt,
        virtual_size=virtual_size,
        actual_size=actual_size,
        partition_table=layout.partition_table,
        firmware=layout.firmware,
        windows=None,
    )
    if layout.windows_device is None:
        return base
    with disk.mount(layout.windows_device) as volume:
        facts = read_facts(volume)
    return dataclasses.replace(
        base,
        windows=facts.windows,
        generalized=facts.generalized,
        image_state=facts.image_state,
        agent_version=facts.agent_version,
        qemu_ga=facts.qemu_ga,
        drivers=facts.drivers,
        boot_drivers=facts.boot_drivers,
        agent_staged=facts.agent_staged,
        staged_drivers=facts.staged_drivers,
        virtio_win_version=facts.virtio_win_version,
        windows_device=layout.windows_device,
    )


def inspect_image(path: Path) -> ImageReport:
    """Inspect a disk image file (raw, qcow2, vhdx, vpc) read-only through libguestfs."""
    from wincloud.image.disk._tools import image_info, open_disk

    info = image_info(path)
    with open_disk(path, write=False) as disk:
        return inspect_disk(
            disk, fmt=info.format, virtual_size=info.virtual_size, actual_size=info.actual_size
        )


def require_windows(report: ImageReport, path: Path) -> WindowsInfo:
    if report.windows is None:
        raise ImageError(
            "no Windows installation found (no NTFS volume with Windows\\System32\\config)",
            subject=str(path),
        )
    return report.windows
