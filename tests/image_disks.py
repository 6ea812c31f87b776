"""Synthetic Windows disks for the image tests: no Windows media, only Linux tools.

``build_disk(out, DiskSpec(...))`` writes a raw disk image:
- UEFI: GPT (sgdisk) with an ESP (mkfs.vfat + mtools: \\EFI\\Microsoft\\Boot\\BCD, a BCD hive, and
  bootmgfw.efi / \\EFI\\Boot\\bootx64.efi placeholders), an MSR and a basic-data NTFS partition;
- BIOS: MBR (sfdisk) with one active NTFS partition that also holds \\Boot\\BCD and bootmgr.
The NTFS volume is made with ``mkntfs -F`` on a plain file and filled by ``wimlib-imagex apply``
from a directory tree: SOFTWARE and SYSTEM hives written from scratch (tests/image_hives.py), a
minimal PE32+ ``cmd.exe`` (x86-64 console: what libguestfs reads the architecture from), driver
files, the DriverStore package of each installed VirtIO driver, and the agent's files.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.image_hives import RegData, write_hive

MIB = 1 << 20
AGENT_PRODUCT_CODE = "{6E1B0C1A-2D3E-4F50-8A9B-0C1D2E3F4A5B}"
VIRTIO_VERSION = "100.95.104.26600"

# Builds of each Windows version this project supports (the values inspection maps back).
WINDOWS = {
    "2022": ("Windows Server 2022 Standard", "ServerStandard", "Server", 20348),
    "2019": ("Windows Server 2019 Datacenter", "ServerDatacenter", "Server", 17763),
    "2016": ("Windows Server 2016 Standard", "ServerStandard", "Server", 14393),
    "2025": ("Windows Server 2025 Standard", "ServerStandard", "Server", 26100),
    "11": ("Windows 10 Pro", "Professional", "Client", 22631),  # 11 still says "Windows 10"
    "10": ("Windows 10 Pro", "Professional", "Client", 19045),
}
SERVICE_NAMES = {"viostor": "viostor", "vioscsi": "vioscsi", "netkvm": "netkvm"}


@dataclass(frozen=True)
class DiskSpec:
    firmware: str = "uefi"  # uefi | bios
    version: str = "2022"
    generalized: bool = True
    agent: bool = True
    qemu_ga: bool = False
    # driver -> Start value of its service (0 boot, 3 demand); drivers absent here are absent.
    drivers: Mapping[str, int] = field(default_factory=lambda: {"viostor": 0, "netkvm": 3})
    setupcomplete: str | None = None  # an existing C:\Windows\Setup\Scripts\SetupComplete.cmd


def minimal_pe(machine: int = 0x8664) -> bytes:
    """A PE32+ header with no sections: enough for `file` to say 'PE32+ executable (console)'."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x40)
    coff = struct.pack("<HHIIIHH", machine, 0, 0, 0, 0, 240, 0x0022)
    optional = bytearray(240)
    struct.pack_into("<H", optional, 0, 0x20B)  # PE32+
    struct.pack_into("<Q", optional, 24, 0x140000000)  # ImageBase
    struct.pack_into("<II", optional, 32, 0x1000, 0x200)  # section/file alignment
    struct.pack_into("<HH", optional, 48, 6, 0)  # subsystem version
    struct.pack_into("<II", optional, 56, 0x1000, 0x200)  # SizeOfImage, SizeOfHeaders
    struct.pack_into("<H", optional, 68, 3)  # IMAGE_SUBSYSTEM_WINDOWS_CUI
    struct.pack_into("<I", optional, 108, 16)  # NumberOfRvaAndSizes
    return (bytes(dos) + b"PE\0\0" + coff + bytes(optional)).ljust(1024, b"\0")


def driver_inf(name: str, version: str = VIRTIO_VERSION) -> str:
    return (
        f"; {name}.inf (test stand-in with the layout of virtio-win's)\r\n"
        '[Version]\r\nSignature="$WINDOWS NT$"\r\nProvider=%VENDOR%\r\n'
        f"DriverVer = 10/10/2024,{version}\r\nCatalogFile={name}.cat\r\n"
        '[Strings]\r\nVENDOR = "Red Hat, Inc."\r\n'
    )


def software_keys(spec: DiskSpec) -> dict[str, dict[str, RegData]]:
    product, edition, kind, build = WINDOWS[spec.version]
    state = "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE" if spec.generalized else "IMAGE_STATE_COMPLETE"
    keys: dict[str, dict[str, RegData]] = {
        "Microsoft\\Windows NT\\CurrentVersion": {
            "ProductName": product,
            "EditionID": edition,
            "InstallationType": kind,
            "CurrentBuildNumber": str(build),
            "CurrentBuild": str(build),
            "CurrentMajorVersionNumber": 10,
            "CurrentMinorVersionNumber": 0,
            "CurrentVersion": "6.3",
            "SystemRoot": "C:\\Windows",
            "UBR": 2700,
        },
        "Microsoft\\Windows\\CurrentVersion": {"ProgramFilesDir": "C:\\Program Files"},
        "Microsoft\\Windows\\CurrentVersion\\Setup\\State": {"ImageState": state},
    }
    if spec.agent:
        keys[f"Microsoft\\Windows\\CurrentVersion\\Uninstall\\{AGENT_PRODUCT_CODE}"] = {
            "DisplayName": "wincloud guest agent",
            "DisplayVersion": "0.1.0",
            "Publisher": "wincloud",
            "InstallLocation": "C:\\Program Files\\wincloud\\",
        }
    return keys


def system_keys(spec: DiskSpec) -> dict[str, dict[str, RegData]]:
    cs = "ControlSet001"
    keys: dict[str, dict[str, RegData]] = {
        "Select": {"Current": 1, "Default": 1, "LastKnownGood": 1, "Failed": 0},
        f"{cs}\\Control\\ComputerName\\ComputerName": {"ComputerName": "WIN-TEMPLATE"},
        f"{cs}\\Control\\Session Manager\\Environment": {"PROCESSOR_ARCHITECTURE": "AMD64"},
        f"{cs}\\Services\\Tcpip\\Parameters": {"Hostname": "WIN-TEMPLATE"},
        "MountedDevices": {},
        "DriverDatabase\\DeviceIds": {},
    }
    for i, (name, start) in enumerate(sorted(spec.drivers.items()), start=1):
        service = SERVICE_NAMES.get(name, name)
        keys[f"{cs}\\Services\\{service}"] = {
            "Type": 1,
            "Start": start,
            "ErrorControl": 1,
            "ImagePath": ("expand", f"\\SystemRoot\\System32\\drivers\\{name}.sys"),
        }
        package = f"{name}.inf_amd64_{i:016x}"
        keys[f"DriverDatabase\\DriverInfFiles\\oem{i}.inf"] = {"": [package], "Active": package}
        keys[f"DriverDatabase\\DriverPackages\\{package}"] = {
            "": f"oem{i}.inf",
            "Provider": "Red Hat, Inc.",
        }
    if spec.agent:
        keys[f"{cs}\\Services\\wincloud"] = {
            "Type": 16,
            "Start": 2,
            "ErrorControl": 1,
            "ImagePath": '"C:\\Program Files\\wincloud\\python\\python.exe" -m wincloud agent '
            "service run",
            "DisplayName": "wincloud guest agent",
        }
    if spec.qemu_ga:
        keys[f"{cs}\\Services\\QEMU-GA"] = {"Type": 16, "Start": 2, "ErrorControl": 1}
    return keys


def windows_tree(root: Path, spec: DiskSpec) -> None:
    system32 = root / "Windows" / "System32"
    (system32 / "config").mkdir(parents=True)
    (system32 / "drivers").mkdir()
    write_hive(system32 / "config" / "SOFTWARE", software_keys(spec))
    write_hive(system32 / "config" / "SYSTEM", system_keys(spec))
    (system32 / "cmd.exe").write_bytes(minimal_pe())
    (system32 / "ntoskrnl.exe").write_bytes(minimal_pe())
    (root / "Windows" / "explorer.exe").write_bytes(minimal_pe())
    (root / "Windows" / "Temp").mkdir()
    (root / "Users" / "Default").mkdir(parents=True)
    repo = system32 / "DriverStore" / "FileRepository"
    repo.mkdir(parents=True)
    for i, name in enumerate(sorted(spec.drivers), start=1):
        (system32 / "drivers" / f"{name}.sys").write_bytes(minimal_pe())
        package = repo / f"{name}.inf_amd64_{i:016x}"
        package.mkdir()
        (package / f"{name}.inf").write_text(driver_inf(name), encoding="ascii")
        (package / f"{name}.sys").write_bytes(minimal_pe())
    if spec.agent:
        agent = root / "Program Files" / "wincloud" / "python"
        agent.mkdir(parents=True)
        (agent / "python.exe").write_bytes(minimal_pe())
    if spec.setupcomplete is not None:
        scripts = root / "Windows" / "Setup" / "Scripts"
        scripts.mkdir(parents=True)
        (scripts / "SetupComplete.cmd").write_bytes(spec.setupcomplete.encode("ascii"))
    if spec.firmware == "bios":
        (root / "Boot").mkdir()
        write_hive(root / "Boot" / "BCD", {"Objects": {}}, root_name="BCD00000000")
        (root / "bootmgr").write_bytes(b"BOOTMGR placeholder\0")


def _run(*argv: str, cwd: Path | None = None) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=120, cwd=cwd)


def _ntfs_volume(path: Path, size: int, tree: Path) -> None:
    with path.open("wb") as f:
        f.truncate(size)
    _run("mkntfs", "-F", "-Q", "-q", "-L", "Windows", "-s", "512", "-p", "2048", str(path))
    wim = path.with_suffix(".wim")
    _run("wimlib-imagex", "capture", str(tree), str(wim), "Windows", "--no-acls")
    _run("wimlib-imagex", "apply", str(wim), "1", str(path), "--no-acls")
    wim.unlink()


def _esp_volume(path: Path, size: int, work: Path) -> None:
    with path.open("wb") as f:
        f.truncate(size)
    _run("mkfs.vfat", "-F", "16", "-n", "SYSTEM", str(path))
    bcd = write_hive(work / "BCD", {"Objects": {}}, root_name="BCD00000000")
    efi = work / "bootmgfw.efi"
    efi.write_bytes(minimal_pe())
    img = ("-i", str(path))
    _run("mmd", *img, "::/EFI", "::/EFI/Microsoft", "::/EFI/Microsoft/Boot", "::/EFI/Boot")
    _run("mcopy", *img, str(bcd), "::/EFI/Microsoft/Boot/BCD")
    _run("mcopy", *img, str(efi), "::/EFI/Microsoft/Boot/bootmgfw.efi")
    _run("mcopy", *img, str(efi), "::/EFI/Boot/bootx64.efi")


def _copy_into(disk: Path, part: Path, offset: int) -> None:
    """Write ``part`` into ``disk`` at ``offset``, skipping zero blocks (keeps it sparse)."""
    with part.open("rb") as src, disk.open("r+b") as dst:
        pos = offset
        for _ in range(part.stat().st_size // MIB + 1):
            block = src.read(MIB)
            if not block:
                break
            if block.count(0) != len(block):
                dst.seek(pos)
                dst.write(block)
            pos += len(block)


def build_disk(out: Path, spec: DiskSpec, *, size_mib: int = 96) -> Path:
    """Write a raw synthetic Windows disk for ``spec`` to ``out``."""
    work = out.parent / f".{out.name}.work"
    shutil.rmtree(work, ignore_errors=True)
    tree = work / "tree"
    tree.mkdir(parents=True)
    windows_tree(tree, spec)
    with out.open("wb") as f:
        f.truncate(size_mib * MIB)
    if spec.firmware == "uefi":
        _run(
            "sgdisk",
            "--clear",
            "--new=1:1MiB:+32MiB",
            "--typecode=1:EF00",
            "--change-name=1:EFI system partition",
            "--new=2:0:+16MiB",
            "--typecode=2:0C01",
            "--change-name=2:Microsoft reserved",
            "--new=3:0:0",
            "--typecode=3:0700",
            "--change-name=3:Basic data partition",
            str(out),
        )
        ntfs_start, ntfs_end = (33 + 16) * MIB, (size_mib * MIB) - MIB
        _esp_volume(work / "esp.img", 32 * MIB, work)
        _copy_into(out, work / "esp.img", MIB)
    else:
        table = "label: dos\n1MiB,,7,*\n"
        subprocess.run(
            ["sfdisk", "--quiet", str(out)],
            input=table.encode(),
            check=True,
            capture_output=True,
            timeout=60,
        )
        ntfs_start, ntfs_end = MIB, size_mib * MIB
    ntfs = work / "ntfs.img"
    _ntfs_volume(ntfs, _ntfs_size(out, ntfs_start, ntfs_end), tree)
    _copy_into(out, ntfs, ntfs_start)
    shutil.rmtree(work)
    return out


def _ntfs_size(disk: Path, start: int, end: int) -> int:
    out = subprocess.run(
        ["sfdisk", "--json", str(disk)], check=True, capture_output=True, timeout=60, text=True
    ).stdout
    import json

    parts: list[dict[str, Any]] = json.loads(out)["partitiontable"]["partitions"]
    for part in parts:
        if part["start"] * 512 == start:
            return int(part["size"]) * 512
    raise AssertionError(f"no partition at {start} in {disk}: {parts}")


# -- virtio-win media with the real layout (<Driver>/<os>/<arch>/files) --------------------
VIRTIO_HWIDS = {
    "viostor": (
        "rhelscsi_inst",
        [
            "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
            "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
        ],
    ),
    "vioscsi": (
        "scsi_inst",
        [
            "PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00",
            "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01",
        ],
    ),
    "netkvm": ("kvmnet6.ndi", ["PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00"]),
    "balloon": ("balloon_device", ["PCI\\VEN_1AF4&DEV_1002&SUBSYS_00051AF4&REV_00"]),
}
VIRTIO_FOLDERS = {
    "viostor": "viostor",
    "vioscsi": "vioscsi",
    "netkvm": "NetKVM",
    "balloon": "Balloon",
}


def virtio_inf(name: str, version: str = VIRTIO_VERSION) -> str:
    section, hwids = VIRTIO_HWIDS[name]
    models = "".join(f"%{name}.DeviceDesc% = {section}, {hwid}\r\n" for hwid in hwids)
    return driver_inf(name, version) + "[RHEL.NTamd64]\r\n" + models


def build_virtio_tree(root: Path, *, os_dirs: tuple[str, ...] = ("2k22", "2k19", "w11")) -> Path:
    for name, folder in VIRTIO_FOLDERS.items():
        for os_dir in os_dirs:
            target = root / folder / os_dir / "amd64"
            target.mkdir(parents=True)
            (target / f"{name}.inf").write_text(virtio_inf(name), encoding="ascii")
            (target / f"{name}.sys").write_bytes(minimal_pe() + name.encode())
            (target / f"{name}.cat").write_bytes(b"catalog " + name.encode())
    return root


def build_virtio_iso(out: Path, tree: Path, label: str = "virtio-win-0.1.266") -> Path:
    """The tree as an ISO 9660 image with Joliet and Rock Ridge (as virtio-win ships)."""
    _run("genisoimage", "-quiet", "-J", "-r", "-V", label, "-o", str(out), str(tree))
    return out
