"""A fake Windows guest for the build monitor: a Linux kernel (Debian's linux-image-amd64) and an
initramfs written here (newc cpio, busybox-static) whose /init prints the stage markers on
ttyS0 and powers off, or misbehaves as the kernel command line's ``wcfake=`` scenario says."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

from wincloud.image.build.plan import BootPlan

BUSYBOX = Path("/bin/busybox")

INIT = r"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
out=/dev/ttyS0
say() { /bin/busybox echo "$1" > $out; }
stage() { say "WINCLOUD-STAGE $1"; }
off() { /bin/busybox sync; /bin/busybox poweroff -f; }
say "fake guest up scenario=$wcfake"
case "$wcfake" in
  success)
    for s in windowspe specialize firstlogon drivers agent sysprep; do stage $s; done
    say "sysprep: shutting down"
    off ;;
  error)
    stage windowspe; stage specialize; stage firstlogon; stage drivers
    say "WINCLOUD-ERROR pnputil /add-driver failed with exit code 5"
    /bin/busybox sleep 600 ;;
  hang)
    stage windowspe; stage specialize
    /bin/busybox sleep 600 ;;
  early)
    stage windowspe; stage specialize; stage firstlogon; stage drivers; stage agent
    off ;;
  key)
    say "press enter"
    read -r line < /dev/tty1
    say "WINCLOUD-KEY pressed"
    stage windowspe; stage specialize; stage firstlogon; stage drivers; stage agent
    stage sysprep
    off ;;
  *)
    say "unknown scenario"; off ;;
esac
"""


def find_kernel() -> Path | None:
    found = sorted(glob.glob("/boot/vmlinuz-*"))
    return Path(found[-1]) if found else None


def _newc(name: str, mode: int, data: bytes = b"", *, ino: int, rdev: tuple[int, int] = (0, 0)):
    encoded = name.encode() + b"\0"
    fields = [
        ino,
        mode,
        0,
        0,
        1,
        0,
        len(data),
        0,
        0,
        rdev[0],
        rdev[1],
        len(encoded),
        0,
    ]
    header = b"070701" + b"".join(f"{v:08X}".encode() for v in fields)
    out = header + encoded
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def initramfs(busybox: Path = BUSYBOX) -> bytes:
    """An uncompressed newc archive: /init, /bin/busybox, /dev nodes (no root needed)."""
    entries = [
        ("bin", 0o040755, b"", (0, 0)),
        ("dev", 0o040755, b"", (0, 0)),
        ("proc", 0o040755, b"", (0, 0)),
        ("dev/console", 0o020600, b"", (5, 1)),
        ("dev/ttyS0", 0o020660, b"", (4, 64)),
        ("dev/tty1", 0o020620, b"", (4, 1)),
        ("dev/null", 0o020666, b"", (1, 3)),
        ("bin/busybox", 0o100755, busybox.read_bytes(), (0, 0)),
        ("bin/sh", 0o120777, b"busybox", (0, 0)),
        ("init", 0o100755, INIT.encode(), (0, 0)),
    ]
    out = b"".join(
        _newc(name, mode, data, ino=i + 1, rdev=rdev)
        for i, (name, mode, data, rdev) in enumerate(entries)
    )
    out += _newc("TRAILER!!!", 0, ino=0)
    return out + b"\0" * (-len(out) % 512)


def missing_tools() -> str | None:
    if shutil.which("qemu-system-x86_64") is None:
        return "qemu-system-x86_64 not installed"
    if not BUSYBOX.is_file():
        return "busybox-static not installed (/bin/busybox)"
    if find_kernel() is None:
        return "no kernel in /boot (linux-image-amd64)"
    return None


def fake_plan(
    tmp: Path, scenario: str, *, timeouts: dict[str, float] | None = None, **overrides
) -> BootPlan:
    kernel = find_kernel()
    assert kernel is not None
    initrd = tmp / "fake-initrd.cpio"
    if not initrd.exists():
        initrd.write_bytes(initramfs())
    limits = {s: 60.0 for s in ("boot", "windowspe", "specialize", "firstlogon", "drivers")}
    limits.update({"agent": 60.0, "sysprep": 60.0})
    limits.update(timeouts or {})
    fields = dict(
        name=f"fake-{scenario}",
        accel="tcg",
        timeouts=limits,
        cpus=1,
        memory_mib=256,
        kernel=kernel,
        initrd=initrd,
        append=f"console=ttyS0 quiet panic=-1 wcfake={scenario}",
        key_window=0.0,
    )
    fields.update(overrides)
    return BootPlan(**fields)
