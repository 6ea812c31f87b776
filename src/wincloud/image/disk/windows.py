"""Facts about a Windows installation read from its volume: hives, driver store, staged files.

Pure over a ``Volume`` (a libguestfs mount or a local directory), so it is tested without an
appliance. The paths and value names here are Windows' own (documented registry locations).
"""

from __future__ import annotations

import re
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from wincloud.errors import ImageError
from wincloud.image.disk.hive import Hive
from wincloud.image.disk.volume import Volume

SOFTWARE_HIVE: Final = "Windows/System32/config/SOFTWARE"
SYSTEM_HIVE: Final = "Windows/System32/config/SYSTEM"
DRIVER_STORE: Final = "Windows/System32/DriverStore/FileRepository"
STAGING: Final = "Windows/Setup/Scripts/wincloud"
SETUPCOMPLETE: Final = "Windows/Setup/Scripts/SetupComplete.cmd"
CURRENT_VERSION: Final = "Microsoft\\Windows NT\\CurrentVersion"
IMAGE_STATE_KEY: Final = "Microsoft\\Windows\\CurrentVersion\\Setup\\State"
UNINSTALL: Final = "Microsoft\\Windows\\CurrentVersion\\Uninstall"
PROVENANCE: Final = "wincloud\\Image"  # written by `wincloud image customize` (SOFTWARE)
AGENT_DISPLAY_NAME: Final = "wincloud guest agent"
GENERALIZED_STATES: Final = frozenset(
    {"IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE", "IMAGE_STATE_GENERALIZE_RESEAL_TO_AUDIT"}
)
# VirtIO drivers by INF base name (virtio-win's folder names, lower-cased).
VIRTIO_DRIVERS: Final = (
    "viostor",
    "vioscsi",
    "netkvm",
    "balloon",
    "vioser",
    "viorng",
    "pvpanic",
    "fwcfg",
    "vioinput",
    "viofs",
    "viogpudo",
    "qemupciserial",
)
BOOT_SERVICE: Final = {"virtio": "viostor", "scsi": "vioscsi"}
SERVER_BUILDS: Final = {14393: "2016", 17763: "2019", 20348: "2022", 26100: "2025"}
_ARCH: Final = {"amd64": "amd64", "arm64": "arm64", "x86": "x86"}
_PE_MACHINE: Final = {0x8664: "amd64", 0xAA64: "arm64", 0x14C: "x86"}
_DRIVER_VER = re.compile(r"^\s*DriverVer\s*=\s*[^,\r\n]*,\s*([0-9][0-9.]*)", re.I | re.M)


@dataclass(frozen=True)
class WindowsInfo:
    product_name: str | None
    edition_id: str | None
    installation_type: str | None  # Server | Client
    build: int | None
    version: str | None  # 2016|2019|2022|2025|10|11
    architecture: str | None  # amd64|arm64|x86


@dataclass(frozen=True)
class WindowsFacts:
    windows: WindowsInfo
    image_state: str | None
    generalized: bool
    agent_version: str | None
    agent_staged: bool
    qemu_ga: bool
    drivers: dict[str, str | None]
    staged_drivers: list[str]
    boot_drivers: dict[str, bool]
    virtio_win_version: str | None
    control_set: str = "ControlSet001"
    extra: dict[str, str] = field(default_factory=dict)


def windows_version(installation_type: str | None, build: int | None) -> str | None:
    """2016/2019/2022/2025 for Server builds, 10/11 for client builds, else None."""
    if build is None or installation_type is None:
        return None
    if installation_type == "Server":
        return SERVER_BUILDS.get(build)
    if build >= 22000:
        return "11"
    return "10" if build >= 10240 else None


def inf_version(text: str) -> str | None:
    match = _DRIVER_VER.search(text)
    return match.group(1) if match else None


def pe_architecture(data: bytes) -> str | None:
    if len(data) < 0x40 or data[:2] != b"MZ":
        return None
    (offset,) = struct.unpack_from("<I", data, 0x3C)
    if offset + 6 > len(data) or data[offset : offset + 4] != b"PE\0\0":
        return None
    (machine,) = struct.unpack_from("<H", data, offset + 4)
    return _PE_MACHINE.get(machine)


def has_windows(volume: Volume) -> bool:
    return volume.find(SOFTWARE_HIVE) is not None and volume.find(SYSTEM_HIVE) is not None


@contextmanager
def open_hives(volume: Volume) -> Iterator[tuple[Hive, Hive]]:
    """(SOFTWARE, SYSTEM) of the volume, read from local copies."""
    with tempfile.TemporaryDirectory(prefix="wincloud-hives-") as tmp:
        software, system = Path(tmp) / "SOFTWARE", Path(tmp) / "SYSTEM"
        volume.download(SOFTWARE_HIVE, software)
        volume.download(SYSTEM_HIVE, system)
        try:
            with Hive.open(software) as sw, Hive.open(system) as sy:
                yield sw, sy
        except ImageError as exc:
            # the error named our temporary copy, gone when this returns: name the image's hive
            if not (exc.subject or "").startswith(tmp):
                raise
            hive = SOFTWARE_HIVE if Path(exc.subject or "").name == "SOFTWARE" else SYSTEM_HIVE
            raise ImageError(
                f"damaged registry hive: {exc.message}",
                subject=f"{volume.where}:{hive}",
                hint="a disk copied while Windows was running, or a copy cut short, looks like "
                "this: take the image again from a Windows that was shut down",
            ) from exc


def control_set(system: Hive) -> str:
    current = system.find_int("Select", "Current")
    return f"ControlSet{current or 1:03d}"


def _installation_type(raw: str | None) -> str | None:
    if raw is None:
        return None
    return "Server" if raw.lower().startswith("server") else "Client"


def read_windows_info(volume: Volume, software: Hive, system: Hive) -> WindowsInfo:
    cv = CURRENT_VERSION
    build_text = software.find_str(cv, "CurrentBuildNumber") or software.find_str(
        cv, "CurrentBuild"
    )
    build = int(build_text) if build_text and build_text.isdigit() else None
    kind = _installation_type(software.find_str(cv, "InstallationType"))
    env = f"{control_set(system)}\\Control\\Session Manager\\Environment"
    arch = _ARCH.get((system.find_str(env, "PROCESSOR_ARCHITECTURE") or "").lower())
    if arch is None:
        cmd = volume.read("Windows/System32/cmd.exe")
        arch = pe_architecture(cmd) if cmd else None
    return WindowsInfo(
        product_name=software.find_str(cv, "ProductName"),
        edition_id=software.find_str(cv, "EditionID"),
        installation_type=kind,
        build=build,
        version=windows_version(kind, build),
        architecture=arch,
    )


def _agent(volume: Volume, software: Hive) -> tuple[str | None, bool]:
    for code in software.subkeys(UNINSTALL):
        key = f"{UNINSTALL}\\{code}"
        if software.find_str(key, "DisplayName") == AGENT_DISPLAY_NAME:
            return software.find_str(key, "DisplayVersion") or "unknown", False
    staged_msi = software.find_str(PROVENANCE, "AgentMsi")
    if staged_msi and volume.find(staged_msi) is not None:
        return software.find_str(PROVENANCE, "AgentVersion") or "unknown", True
    return None, False


def _service_image(volume: Volume, system: Hive, cs: str, service: str) -> bool:
    """The service is a boot-start kernel driver whose file is on the volume."""
    key = f"{cs}\\Services\\{service}"
    if system.find_int(key, "Start") != 0 or system.find_int(key, "Type") != 1:
        return False
    image = system.find_str(key, "ImagePath") or f"System32\\drivers\\{service}.sys"
    image = re.sub(
        r"^(\\SystemRoot\\|%SystemRoot%\\|\\\?\?\\[A-Za-z]:\\Windows\\)", "", image, flags=re.I
    )
    if image.lower().startswith("windows\\"):
        image = image[len("windows\\") :]
    return volume.find(f"Windows/{image}") is not None


def read_drivers(volume: Volume, system: Hive, cs: str) -> tuple[dict[str, str | None], list[str]]:
    """VirtIO drivers installed (service key or driver-store package) or staged, with versions."""
    found: dict[str, str | None] = {}
    for entry in volume.listdir(DRIVER_STORE):
        name = entry.split(".inf_", 1)[0].lower()
        if name in VIRTIO_DRIVERS and ".inf_" in entry:
            text = volume.read(f"{DRIVER_STORE}/{entry}/{name}.inf")
            found[name] = inf_version(text.decode("utf-8", "replace")) if text else None
    for name in VIRTIO_DRIVERS:
        if name not in found and system.has_key(f"{cs}\\Services\\{name}"):
            found[name] = None
    staged: list[str] = []
    for entry in volume.listdir(f"{STAGING}/drivers"):
        name = entry.lower()
        if name not in VIRTIO_DRIVERS:
            continue
        text = volume.read(f"{STAGING}/drivers/{entry}/{name}.inf")
        version = inf_version(text.decode("utf-8", "replace")) if text else None
        if found.get(name) is None:
            found[name] = version
        staged.append(name)
    return dict(sorted(found.items())), sorted(staged)


def read_facts(volume: Volume) -> WindowsFacts:
    """Everything inspection says about the Windows installation on ``volume``."""
    with open_hives(volume) as (software, system):
        cs = control_set(system)
        state = software.find_str(IMAGE_STATE_KEY, "ImageState")
        agent_version, agent_staged = _agent(volume, software)
        drivers, staged = read_drivers(volume, system, cs)
        boot = {bus: _service_image(volume, system, cs, svc) for bus, svc in BOOT_SERVICE.items()}
        return WindowsFacts(
            windows=read_windows_info(volume, software, system),
            image_state=state,
            generalized=state in GENERALIZED_STATES,
            agent_version=agent_version,
            agent_staged=agent_staged,
            qemu_ga=system.has_key(f"{cs}\\Services\\QEMU-GA"),
            drivers=drivers,
            staged_drivers=staged,
            boot_drivers=boot,
            virtio_win_version=software.find_str(PROVENANCE, "VirtioWinVersion"),
            control_set=cs,
        )
