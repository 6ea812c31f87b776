"""``wincloud image customize``: offline changes to a Windows image, agent-aware.

Planned on a read-only view of the Windows volume, then written, so a second run with the same
inputs finds nothing to do and writes nothing (the image stays byte-identical):
- the agent MSI staged in ``C:\\Windows\\Setup\\Scripts\\wincloud\\`` and a block in
  ``SetupComplete.cmd`` (added between marker lines; the rest of the file is kept) that runs
  ``pnputil /add-driver ... /subdirs /install`` for the staged drivers, then installs and starts
  the agent; Windows runs SetupComplete.cmd once, after Setup/OOBE of each clone;
- the boot-critical VirtIO storage driver (viostor for ``--bus virtio``, vioscsi for ``scsi``):
  its ``.sys`` in ``System32\\drivers``, a boot-start service key in the SYSTEM hive, and the
  device binding for its PCI ids (CriticalDeviceDatabase before Windows 8; the DriverDatabase
  keys and a DriverStore copy of the package from Windows 8 on); every other VirtIO driver of
  the media staged for pnputil at first boot;
- ``.reg`` files (hivexregedit format) applied to SOFTWARE/SYSTEM.
Hives are edited on local working copies and uploaded only when they changed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from wincloud.errors import ConfigError, ImageError
from wincloud.image.disk.hive import Hive, RegValue, edit_hive
from wincloud.image.disk.regfile import RegEdit, apply_reg, read_reg
from wincloud.image.disk.virtio import DriverMedia, driver_files, inf_hardware_ids, open_media
from wincloud.image.disk.volume import Volume
from wincloud.image.disk.windows import (
    PROVENANCE,
    SETUPCOMPLETE,
    SOFTWARE_HIVE,
    STAGING,
    SYSTEM_HIVE,
    WindowsInfo,
    control_set,
    has_windows,
    read_windows_info,
)

log = logging.getLogger(__name__)

AGENT_MSI: Final = f"{STAGING}/wincloud-agent.msi"
BEGIN: Final = "rem >>> wincloud (written by wincloud image customize; keep edits outside)"
END: Final = "rem <<< wincloud"
BUS_DRIVER: Final = {"virtio": "viostor", "scsi": "vioscsi"}
# virtio-win folder -> INF base name; staged for pnputil when the media has them.
STAGED: Final = {
    "viostor": "viostor",
    "vioscsi": "vioscsi",
    "NetKVM": "netkvm",
    "Balloon": "balloon",
    "vioserial": "vioser",
    "viorng": "viorng",
    "pvpanic": "pvpanic",
    "fwcfg": "fwcfg",
}
SCSI_ADAPTER_CLASS: Final = "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
WINDOWS_8_BUILD: Final = 9200
MIB: Final = 1024 * 1024
SPACE_PER_FILE: Final = 8192
"""Per written file: cluster rounding and its MFT record."""
SPACE_MARGIN: Final = 4 * MIB
"""Left free for NTFS's own metadata (and for Windows' first boot)."""
_EXIT: Final = re.compile(r"^\s*@?(exit\b|goto\s+:eof\b)", re.I)


@dataclass(frozen=True)
class CustomizeOptions:
    agent_msi: Path | None = None
    agent_version: str | None = None
    virtio_win: Path | None = None
    bus: str = "virtio"
    reg_files: tuple[Path, ...] = ()


@dataclass
class Plan:
    """Files to write on the Windows volume (path -> bytes), and why."""

    writes: dict[str, bytes] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    growth: int = 0
    """Bytes the volume gains (new files, minus the files they replace)."""

    def put(self, volume: Volume, path: str, data: bytes, why: str) -> None:
        old = volume.read(path)
        if old == data:
            return
        self.writes[path] = data
        self.reasons[path] = why
        self.growth += len(data) - len(old or b"")


def render_setupcomplete(existing: str, *, agent: bool, drivers: bool) -> str:
    """SetupComplete.cmd with our block (re)placed at the end, before a final ``exit`` (so it
    still runs); every other line kept as it was. Unchanged when there is nothing to add."""
    kept: list[str] = []
    inside = had_block = False
    for line in existing.replace("\r\n", "\n").split("\n"):
        if line.strip() == BEGIN:
            inside = had_block = True
        elif line.strip() == END and inside:
            inside = False
        elif not inside:
            kept.append(line)
    block = [BEGIN, 'set "WINCLOUD_DIR=%WINDIR%\\Setup\\Scripts\\wincloud"']
    log_to = '>> "%WINCLOUD_DIR%\\setupcomplete.log" 2>&1'
    if drivers:
        block.append(
            'pnputil /add-driver "%WINCLOUD_DIR%\\drivers\\*.inf" /subdirs /install ' + log_to
        )
    if agent:
        block.append(
            'msiexec /i "%WINCLOUD_DIR%\\wincloud-agent.msi" /qn /norestart '
            '/l*v "%WINCLOUD_DIR%\\agent-install.log"'
        )
        block.append(f"net start wincloud {log_to}")
    block.append(END)
    if not agent and not drivers:
        if not had_block:
            return existing
        block = []
    tail: list[str] = []
    for _ in range(len(kept)):
        while kept and not kept[-1].strip():
            kept.pop()
        if not kept or not _EXIT.match(kept[-1]):
            break
        tail.insert(0, kept.pop())
    lines = [*kept, *block, *tail]
    return "\r\n".join(lines) + "\r\n" if lines else ""


def _files_ci(files: dict[str, bytes], name: str) -> bytes | None:
    return next((data for key, data in files.items() if key.lower() == name.lower()), None)


def _inject_boot_driver(
    system: Hive,
    plan: Plan,
    volume: Volume,
    windows: WindowsInfo,
    name: str,
    files: dict[str, bytes],
) -> None:
    sys_file = _files_ci(files, f"{name}.sys")
    inf = _files_ci(files, f"{name}.inf")
    if sys_file is None or inf is None:
        raise ImageError(f"the virtio-win media has no {name}.sys/.inf for this Windows")
    cs = control_set(system)
    plan.put(volume, f"Windows/System32/drivers/{name}.sys", sys_file, f"boot driver {name}")
    svc = f"{cs}\\Services\\{name}"
    system.set_value(svc, "Type", RegValue.dword(1))  # kernel driver
    system.set_value(svc, "Start", RegValue.dword(0))  # boot start
    system.set_value(svc, "ErrorControl", RegValue.dword(1))
    system.set_value(svc, "Group", RegValue.sz("SCSI miniport"))
    system.set_value(svc, "ImagePath", RegValue.sz(f"System32\\drivers\\{name}.sys", expand=True))
    system.set_value(f"{svc}\\Parameters\\PnpInterface", "5", RegValue.dword(1))  # PCI bus
    section, hwids = inf_hardware_ids(inf.decode("utf-8", "replace"))
    if not hwids:
        raise ImageError(f"{name}.inf lists no PCI hardware ids: cannot bind the boot device")
    if (windows.build or 0) < WINDOWS_8_BUILD:
        for hwid in hwids:
            key = f"{cs}\\Control\\CriticalDeviceDatabase\\{hwid.lower().replace(chr(92), '#')}"
            system.set_value(key, "Service", RegValue.sz(name))
            system.set_value(key, "ClassGUID", RegValue.sz(SCSI_ADAPTER_CLASS))
        return
    arch = windows.architecture or "amd64"
    package = f"{name}.inf_{arch}_{hashlib.sha256(inf).hexdigest()[:16]}"
    for file_name, data in sorted(files.items()):
        plan.put(
            volume,
            f"Windows/System32/DriverStore/FileRepository/{package}/{file_name}",
            data,
            f"driver store copy of {name}",
        )
    _bind_driver_database(system, name, package, section or f"{name}_inst", hwids)


def _bind_driver_database(
    system: Hive, name: str, package: str, section: str, hwids: list[str]
) -> None:
    """Windows 8+: map the PCI ids to the package and the package's configuration to the
    service (the keys virt-v2v writes too: DeviceIds, DriverInfFiles, DriverPackages)."""
    db = "DriverDatabase"
    inf = f"{name}.inf"
    pkg = f"{db}\\DriverPackages\\{package}"
    for hwid in hwids:
        system.set_value(f"{db}\\DeviceIds\\{hwid}", inf, RegValue.binary(b"\x01\xff\0\0"))
        system.set_value(f"{pkg}\\Descriptors\\{hwid}", "Configuration", RegValue.sz(section))
    system.set_value(f"{db}\\DriverInfFiles\\{inf}", "", RegValue.multi_sz([package]))
    system.set_value(f"{db}\\DriverInfFiles\\{inf}", "Active", RegValue.sz(package))
    system.set_value(f"{db}\\DriverInfFiles\\{inf}", "Configurations", RegValue.multi_sz([section]))
    system.set_value(pkg, "", RegValue.sz(inf))
    # flags, then the device class GUID; the driver date and version are left zero
    version = b"\x00\xff\x09\x00" + bytes(4) + uuid.UUID(SCSI_ADAPTER_CLASS).bytes_le + bytes(24)
    system.set_value(pkg, "Version", RegValue.binary(version))
    system.set_value(f"{pkg}\\Configurations\\{section}", "ConfigFlags", RegValue.dword(0))
    system.set_value(f"{pkg}\\Configurations\\{section}", "Service", RegValue.sz(name))


def _stage_drivers(plan: Plan, volume: Volume, media: DriverMedia, windows: WindowsInfo) -> int:
    if windows.version is None:
        raise ImageError("cannot tell which Windows version this is: no driver folder to pick")
    staged = 0
    for folder, inf_name in STAGED.items():
        files = driver_files(media, folder, windows.version, windows.architecture or "amd64")
        for file_name, data in sorted(files.items()):
            plan.put(
                volume,
                f"{STAGING}/drivers/{inf_name}/{file_name}",
                data,
                f"{inf_name} staged for pnputil",
            )
        staged += bool(files)
    return staged


def _download_hives(volume: Volume, work: Path) -> tuple[Path, Path]:
    software, system = work / "SOFTWARE", work / "SYSTEM"
    volume.download(SOFTWARE_HIVE, software)
    volume.download(SYSTEM_HIVE, system)
    return software, system


def plan_customize(volume: Volume, opts: CustomizeOptions) -> Plan:
    """What customize would write on this Windows volume (empty when all is in place)."""
    if opts.bus not in BUS_DRIVER:
        raise ImageError(f"unknown disk bus {opts.bus!r} (virtio, scsi)")
    reg_edits: list[RegEdit] = []
    for reg in opts.reg_files:
        reg_edits += read_reg(reg)
    if not has_windows(volume):
        raise ImageError("no Windows installation on this volume", subject=volume.where)
    plan = Plan()
    with tempfile.TemporaryDirectory(prefix="wincloud-customize-") as tmp:
        sw_path, sy_path = _download_hives(volume, Path(tmp))
        before = {sw_path: sw_path.read_bytes(), sy_path: sy_path.read_bytes()}
        with ExitStack() as stack:
            software = stack.enter_context(edit_hive(sw_path))
            system = stack.enter_context(edit_hive(sy_path))
            windows = read_windows_info(volume, software, system)
            if opts.agent_msi is not None:
                plan.put(volume, AGENT_MSI, opts.agent_msi.read_bytes(), "agent MSI")
                software.set_value(
                    PROVENANCE, "AgentMsi", RegValue.sz(AGENT_MSI.replace("/", "\\"))
                )
                software.set_value(
                    PROVENANCE, "AgentVersion", RegValue.sz(opts.agent_version or "unknown")
                )
            if opts.virtio_win is not None:
                with open_media(opts.virtio_win) as media:
                    if not _stage_drivers(plan, volume, media, windows):
                        raise ImageError(
                            f"the virtio-win media has no drivers for Windows "
                            f"{windows.version} {windows.architecture}",
                            subject=str(opts.virtio_win),
                        )
                    boot = BUS_DRIVER[opts.bus]
                    folder = next(k for k, v in STAGED.items() if v == boot)
                    files = driver_files(
                        media, folder, windows.version or "", windows.architecture or "amd64"
                    )
                    _inject_boot_driver(system, plan, volume, windows, boot, files)
                    if media.version:
                        software.set_value(
                            PROVENANCE, "VirtioWinVersion", RegValue.sz(media.version)
                        )
                software.set_value(PROVENANCE, "Bus", RegValue.sz(opts.bus))
            apply_reg(reg_edits, {"SOFTWARE": software, "SYSTEM": system}, control_set(system))
        for local, hive_path in ((sw_path, SOFTWARE_HIVE), (sy_path, SYSTEM_HIVE)):
            if local.read_bytes() != before[local]:
                plan.writes[hive_path] = local.read_bytes()
                plan.reasons[hive_path] = "registry edits"
                plan.growth += len(plan.writes[hive_path]) - len(before[local])
    agent = AGENT_MSI in plan.writes or volume.find(AGENT_MSI) is not None
    drivers = any(p.startswith(f"{STAGING}/drivers/") for p in plan.writes) or bool(
        volume.listdir(f"{STAGING}/drivers")
    )
    existing = volume.read(SETUPCOMPLETE)
    text = existing.decode("latin-1") if existing is not None else ""
    script = render_setupcomplete(text, agent=agent, drivers=drivers)
    if script:
        plan.put(volume, SETUPCOMPLETE, script.encode("latin-1"), "first-boot hook")
    return plan


def check_space(volume: Volume, plan: Plan) -> None:
    """Refuse a plan the volume has no room for, before its first write (a full NTFS volume
    stopped an upload half-way: a cut MSI on the image, the hives and SetupComplete.cmd not)."""
    free = volume.free_bytes()
    need = plan.growth + SPACE_PER_FILE * len(plan.writes) + SPACE_MARGIN
    if free is not None and need > free:
        raise ImageError(
            f"not enough free space on the Windows volume ({need // MIB} MiB needed, "
            f"{free // MIB} MiB free); nothing was written",
            subject=volume.where,
            hint="free space in the image, or grow it (qemu-img resize, then virt-resize or "
            "extend C: in Windows), and run customize again",
        )


def apply_plan(volume: Volume, plan: Plan) -> None:
    check_space(volume, plan)
    for path, data in plan.writes.items():
        volume.write(path, data)
        log.info("image write path=%s bytes=%d why=%s", path, len(data), plan.reasons[path])


def require_writable(image: Path) -> None:
    """customize edits in place: a read-only file (mode, immutable flag, read-only mount) was
    "guestfish run failed: no output" after a TCG retry."""
    try:
        with image.open("r+b"):
            pass
    except OSError as exc:
        raise ImageError(
            f"cannot open the image for writing ({exc.strerror})",
            subject=str(image),
            hint="customize changes the image in place: make it writable, or customize a copy",
        ) from None


def customize_image(image: Path, opts: CustomizeOptions) -> Plan:
    """Plan on a read-only mount, then write only if there is something to write."""
    from wincloud.image.disk._tools import msi_product_version, open_disk, require_file
    from wincloud.image.disk.inspect import find_layout

    require_file(image)
    require_writable(image)
    if opts.agent_msi is not None and not opts.agent_msi.is_file():  # msiinfo blocked on a FIFO
        raise ConfigError(
            "the agent MSI is not a regular file", subject=str(opts.agent_msi), hint="give an MSI"
        )
    # the inputs first: a bad .reg or virtio-win ISO was found only after the appliance booted
    for reg in opts.reg_files:
        read_reg(reg)
    if opts.virtio_win is not None:
        with open_media(opts.virtio_win):
            pass
    if opts.agent_msi is not None and opts.agent_version is None:
        opts = CustomizeOptions(
            agent_msi=opts.agent_msi,
            agent_version=msi_product_version(opts.agent_msi),
            virtio_win=opts.virtio_win,
            bus=opts.bus,
            reg_files=opts.reg_files,
        )
    with open_disk(image, write=True) as disk:
        device = find_layout(disk).windows_device
        if device is None:
            raise ImageError("no Windows installation found", subject=str(image))
        with disk.mount(device) as volume:
            plan = plan_customize(volume, opts)
        if plan.writes:
            with disk.mount(device, write=True) as volume:
                apply_plan(volume, plan)
    return plan
