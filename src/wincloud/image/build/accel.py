"""Which accelerator to build with: ``--accel auto`` proves KVM runs a guest before using it.

A /dev/kvm node can exist while guests hang or fail (nested setups), so the probe boots a real
guest with the build's CPU model: OVMF up to its boot manager's line on COM1 (long mode, paging),
or without OVMF a 512-byte boot sector (below) that SeaBIOS loads, which writes a line to COM1
and leaves QEMU through the isa-debug-exit port. KVM counts as working only if that happens
within a few seconds; otherwise TCG is used.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Final, Literal

from wincloud.errors import ImageError
from wincloud.image.build import _spawn
from wincloud.image.build.plan import KVM_CPU, OVMF_DIRS, QEMU, TCG_CPU, Accel, Firmware, find_ovmf

log = logging.getLogger(__name__)

PROBE_TEXT: Final = b"WINCLOUD-ACCEL-OK"
PROBE_EXIT: Final = (0x10 << 1) | 1
"""isa-debug-exit turns the byte written (0x10) into QEMU's exit status (v << 1) | 1."""
PROBE_TIMEOUT: Final = 10.0
OVMF_TEXT: Final = b"BdsDxe"
"""What OVMF's boot manager prints on COM1 once the firmware has run."""

# Real-mode code at 0000:7C00 (offsets in the comments):
#  0 xor ax,ax; mov ds,ax; cld          5 mov si,0x7C1B (the text)     8 mov dx,0x3F8 (COM1)
# 11 lodsb; test al,al; jz 19; out dx,al; jmp 11                      (print the text)
# 19 mov al,0x10; out 0xF4,al           (isa-debug-exit: QEMU exits with status 33)
# 23 cli; hlt; jmp 24                    27 the text, CR LF, NUL
_CODE: Final = bytes.fromhex(
    "31c0 8ed8 fc be1b7c baf803 ac 84c0 7403 ee ebf8 b010 e6f4 fa f4 ebfd".replace(" ", "")
)


def probe_sector() -> bytes:
    body = _CODE + PROBE_TEXT + b"\r\n\0"
    return body.ljust(510, b"\0") + b"\x55\xaa"


def probe(
    accel: Accel,
    *,
    timeout: float = PROBE_TIMEOUT,
    qemu: str = QEMU,
    ovmf_dirs: tuple[Path, ...] = OVMF_DIRS,
) -> str | None:
    """None when a guest ran under ``accel`` with the build's CPU model; else why not.

    With OVMF installed the probe guest is the UEFI firmware itself (long mode, paging, the
    same code a UEFI build runs first): it must print its boot manager's ``BdsDxe`` line on
    COM1. Without OVMF it is the boot sector, which must print its line and exit."""
    try:
        firmware: Firmware | None = find_ovmf(False, ovmf_dirs)
    except ImageError:
        firmware = None
    cpu = KVM_CPU if accel == "kvm" else TCG_CPU
    with tempfile.TemporaryDirectory(prefix="wincloud-accel-") as tmp:
        argv = [qemu, "-machine", f"q35,accel={accel}", "-cpu", cpu, "-nodefaults"]
        argv += ["-no-user-config", "-display", "none", "-m", "256", "-serial", "stdio"]
        if firmware is not None and firmware.code and firmware.vars_template:
            vars_copy = Path(tmp) / "vars.fd"
            shutil.copyfile(firmware.vars_template, vars_copy)
            argv += [
                "-drive",
                f"if=pflash,format=raw,unit=0,readonly=on,file={firmware.code}",
                "-drive",
                f"if=pflash,format=raw,unit=1,file={vars_copy}",
            ]
            expected, exit_status = OVMF_TEXT, None
        else:
            image = Path(tmp) / "probe.img"
            # SeaBIOS cannot read a one-sector disk: pad it to 1 MiB.
            image.write_bytes(probe_sector().ljust(1 << 20, b"\0"))
            argv += [
                "-device",
                "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-drive",
                f"file={image},format=raw,if=none,id=probe",
                "-device",
                "ide-hd,drive=probe,bus=ide.0",
            ]
            expected, exit_status = PROBE_TEXT, PROBE_EXIT
        log_path = Path(tmp) / "probe.log"
        proc = _spawn.Process(argv, log=log_path)
        try:
            return _await_probe(proc, log_path, expected, exit_status, timeout)
        finally:
            proc.stop(grace=2.0)


def _await_probe(
    proc: _spawn.Process, log_path: Path, expected: bytes, exit_status: int | None, timeout: float
) -> str | None:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.1) + 2):
        returncode = proc.poll()
        seen = expected in log_path.read_bytes()
        if seen and exit_status is None:
            return None
        if returncode is not None:
            if seen and returncode == exit_status:
                return None
            return f"QEMU exited with status {returncode}: {proc.log_tail(2)}"
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    return f"the probe guest showed no sign of life within {timeout:g} s (it hangs)"


def choose_accel(
    wanted: Literal["auto", "kvm", "tcg"],
    *,
    timeout: float = PROBE_TIMEOUT,
    qemu: str = QEMU,
    ovmf_dirs: tuple[Path, ...] = OVMF_DIRS,
) -> Accel:
    """``kvm`` and ``tcg`` as asked (kvm is probed and refused when it does not run a guest);
    ``auto``: kvm when the probe passes, else tcg with a warning."""
    if wanted == "tcg":
        return "tcg"
    why = probe("kvm", timeout=timeout, qemu=qemu, ovmf_dirs=ovmf_dirs)
    if why is None:
        return "kvm"
    if wanted == "kvm":
        raise ImageError(
            f"KVM does not run a guest here: {why}",
            subject="/dev/kvm",
            hint="use --accel tcg (slow) or --accel auto, or fix KVM on this host",
        )
    log.warning("kvm unusable, falling back to tcg (slow) reason=%r", why)
    return "tcg"
