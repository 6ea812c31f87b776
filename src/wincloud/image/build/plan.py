"""What one QEMU build runs, as data (``BootPlan``), and the QEMU command line for it (pure).

A spec becomes a ``BootPlan`` (``plan_from_spec``): install ISO, virtio-win ISO and answer CD as
CD-ROMs, the disk on the spec's bus, OVMF (Secure Boot: the Microsoft-keys build) or SeaBIOS,
swtpm, the NIC, CPU flags for the accelerator, and one timeout per stage. The tests build plans
that boot a Linux kernel and initramfs instead of the CDs (``kernel``/``initrd``/``append``):
the same monitor then follows a fake guest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from wincloud.errors import ImageError

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

Accel = Literal["kvm", "tcg"]
QEMU: Final = "qemu-system-x86_64"
OVMF_DIRS: Final = (Path("/usr/share/OVMF"), Path("/usr/share/edk2/ovmf"))
OVMF_FILES: Final[Mapping[bool, tuple[str, str]]] = {
    False: ("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"),
    True: ("OVMF_CODE_4M.ms.fd", "OVMF_VARS_4M.ms.fd"),
}
"""secure_boot -> (code, vars template); the .ms pair has Microsoft's keys enrolled."""
KVM_CPU: Final = (
    "host,hv_relaxed,hv_vapic,hv_spinlocks=0x1fff,hv_time,hv_vpindex,hv_synic,hv_stimer"
)
TCG_CPU: Final = "max"
"""QEMU refuses the hv_* enlightenments without KVM."""
STAGES: Final = ("windowspe", "specialize", "firstlogon", "drivers", "agent", "sysprep")
BOOT_KEYS: Final = ("spc",)
"""Pressed at "Press any key to boot from CD or DVD" (any key will do)."""


@dataclass(frozen=True)
class Firmware:
    kind: Literal["uefi", "bios"]
    secure_boot: bool = False
    code: Path | None = None
    vars_template: Path | None = None


@dataclass(frozen=True)
class BootPlan:
    """Everything the runner needs to start QEMU and judge the guest."""

    name: str
    accel: Accel
    timeouts: Mapping[str, float]
    """``boot`` (until the first marker) and one per stage (from its marker to the next)."""
    cpus: int = 2
    memory_mib: int = 4096
    firmware: Firmware = Firmware("bios")
    tpm: bool = False
    disk: Path | None = None
    disk_bus: Literal["virtio", "scsi"] = "virtio"
    cdroms: tuple[Path, ...] = ()
    """Install ISO first (the one booted), then the others."""
    nic: Literal["virtio", "e1000"] | None = None
    kernel: Path | None = None
    initrd: Path | None = None
    append: str = ""
    boot_keys: tuple[str, ...] = BOOT_KEYS
    key_window: float = 120.0
    """Seconds after start during which boot_keys are pressed (stopped early by the first
    guest reset or marker: a key at the second boot's prompt would restart Setup). A spec's
    plan presses them for the whole boot stage (OVMF with SMM is slow under TCG)."""
    key_interval: float = 1.0
    extra_args: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Sockets:
    """Per-build runtime paths (short: unix socket paths are limited to 107 bytes)."""

    qmp: Path
    serial: Path
    vars: Path | None = None
    tpm: Path | None = None


def find_ovmf(secure_boot: bool, dirs: tuple[Path, ...] = OVMF_DIRS) -> Firmware:
    code_name, vars_name = OVMF_FILES[secure_boot]
    for folder in dirs:
        code, vars_ = folder / code_name, folder / vars_name
        if code.is_file() and vars_.is_file():
            return Firmware("uefi", secure_boot, code, vars_)
    raise ImageError(
        f"OVMF firmware not found ({code_name} and {vars_name})",
        subject=", ".join(str(d) for d in dirs),
        hint="install Debian's ovmf package (apt-get install ovmf)",
    )


def stage_timeouts(spec: ImageSpec) -> dict[str, float]:
    """The spec's timeouts per monitored stage; drivers and agent share firstlogon's."""
    t = spec.build.timeouts
    return {
        "boot": t.boot,
        "windowspe": t.windowspe,
        "specialize": t.specialize,
        "firstlogon": t.firstlogon,
        "drivers": t.firstlogon,
        "agent": t.firstlogon,
        "sysprep": t.sysprep,
    }


def plan_from_spec(
    spec: ImageSpec,
    *,
    accel: Accel,
    disk: Path,
    answer_cd: Path,
    ovmf_dirs: tuple[Path, ...] = OVMF_DIRS,
) -> BootPlan:
    check_buildable(spec)
    assert spec.source.iso is not None
    firmware = (
        find_ovmf(spec.firmware.secure_boot, ovmf_dirs)
        if spec.firmware.type == "uefi"
        else Firmware("bios")
    )
    return BootPlan(
        name=spec.image.name,
        accel=accel,
        timeouts=stage_timeouts(spec),
        cpus=spec.build.cpus,
        memory_mib=spec.build.memory_mib,
        firmware=firmware,
        tpm=spec.firmware.tpm,
        disk=disk,
        disk_bus=spec.disk.bus,
        cdroms=(spec.source.iso, spec.drivers.virtio_win_iso, answer_cd),
        nic=spec.network.model,
        key_window=float(spec.build.timeouts.boot),
    )


def check_buildable(spec: ImageSpec) -> None:
    """What a QEMU build cannot do, said before anything starts."""
    if spec.source.iso is None:
        raise ImageError(
            "a QEMU build boots the install ISO: source.wim cannot be booted",
            subject=str(spec.path or "<spec>"),
            hint="set source.iso, or build from the WIM with your own tooling",
        )
    if spec.source.architecture != "amd64":
        raise ImageError(
            f"building {spec.source.architecture} images is not supported (x86_64 QEMU only)",
            subject=str(spec.path or "<spec>"),
        )


def qemu_argv(plan: BootPlan, sockets: Sockets, *, qemu: str = QEMU) -> list[str]:
    """The QEMU command line (started paused: the runner connects, then sends ``cont``)."""
    fw = plan.firmware
    machine = f"q35,accel={plan.accel}"
    if fw.secure_boot:
        machine += ",smm=on"
    argv = [
        qemu,
        "-name",
        f"wincloud-{plan.name}",
        "-machine",
        machine,
        "-cpu",
        KVM_CPU if plan.accel == "kvm" else TCG_CPU,
        "-smp",
        str(plan.cpus),
        "-m",
        str(plan.memory_mib),
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-vga",
        "std",
        "-S",
        "-qmp",
        f"unix:{sockets.qmp},server=on,wait=off",
        "-chardev",
        f"socket,id=serial0,path={sockets.serial},server=on,wait=off",
        "-serial",
        "chardev:serial0",
    ]
    if fw.kind == "uefi":
        if fw.code is None or sockets.vars is None:
            raise ImageError("a UEFI plan needs the OVMF code and a vars copy")
        argv += [
            "-drive",
            f"if=pflash,format=raw,unit=0,readonly=on,file={fw.code}",
            "-drive",
            f"if=pflash,format=raw,unit=1,file={sockets.vars}",
        ]
        if fw.secure_boot:
            argv += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    if plan.tpm:
        if sockets.tpm is None:
            raise ImageError("a TPM plan needs the swtpm socket")
        argv += [
            "-chardev",
            f"socket,id=chrtpm,path={sockets.tpm}",
            "-tpmdev",
            "emulator,id=tpm0,chardev=chrtpm",
            "-device",
            "tpm-tis,tpmdev=tpm0",
        ]
    # A kernel plan boots the kernel (QEMU gives it the first boot index).
    disk_boot = ",bootindex=0" if plan.kernel is None else ""
    if plan.disk is not None:
        argv += [
            "-drive",
            f"file={plan.disk},if=none,id=disk0,format=qcow2,cache=unsafe,discard=unmap",
        ]
        if plan.disk_bus == "virtio":
            argv += ["-device", f"virtio-blk-pci,drive=disk0{disk_boot}"]
        else:
            argv += [
                "-device",
                "virtio-scsi-pci,id=scsi0",
                "-device",
                f"scsi-hd,drive=disk0,bus=scsi0.0{disk_boot}",
            ]
    for number, iso in enumerate(plan.cdroms):
        boot = ",bootindex=1" if number == 0 and plan.kernel is None else ""
        argv += [
            "-drive",
            f"file={iso},if=none,id=cd{number},media=cdrom,readonly=on",
            "-device",
            f"ide-cd,drive=cd{number},bus=ide.{number}{boot}",
        ]
    if plan.nic is not None:
        device = "virtio-net-pci" if plan.nic == "virtio" else "e1000"
        # romfile= drops the NIC's PXE option ROM: nothing to boot from the network.
        argv += ["-netdev", "user,id=net0,restrict=on"]
        argv += ["-device", f"{device},netdev=net0,romfile="]
    if plan.kernel is not None:
        argv += ["-kernel", str(plan.kernel)]
        if plan.initrd is not None:
            argv += ["-initrd", str(plan.initrd)]
        argv += ["-append", plan.append]
    argv += list(plan.extra_args)
    return argv
