"""Growing a Linux file system into the space a cloud added after its disk: the facts read from
the running system (``/proc/self/mountinfo``, ``/sys/dev/block``), the decision (pure: from
``sfdisk --json`` and the disk's size) and the commands (sfdisk, partx, resize2fs, xfs_growfs,
btrfs). ``volumes.py`` runs them through ``Processes``.

Why sfdisk, not growpart: sfdisk is util-linux (on every Linux), edits MBR and GPT tables
(moving GPT's backup header to the new end) and grows one partition with ``-N n`` and
``, +``; growpart (cloud-guest-utils) is a shell wrapper around it that few images ship. The
checks growpart makes are made here, before anything is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final

from msgspec import Struct

MIN_GROWTH: Final = 1024 * 1024
"""Less free space than this after a partition is alignment slack, not worth an edit."""
MBR_LIMIT_SECTORS: Final = 1 << 32
"""An MBR entry holds 32-bit start and size: nothing past 2 TiB with 512-byte sectors (16 TiB
with 4 KiB ones)."""
GPT_TAIL_SECTORS: Final = 34
"""GPT's backup entries (32 sectors for 128 entries) and header at the end of the disk."""
FILESYSTEMS: Final = ("ext2", "ext3", "ext4", "xfs", "btrfs")


class Mount(Struct, frozen=True):
    mountpoint: str
    fstype: str
    source: str
    devno: str
    """``major:minor`` of the mounted device (btrfs: of ``source``, see ``mounts``)."""


class Partition(Struct, frozen=True):
    disk: str
    """Device node of the whole disk (``/dev/vda``)."""
    device: str
    """Device node of the partition (``/dev/vda1``)."""
    number: int


class Plan(Struct, frozen=True):
    """What sfdisk will do to one partition, in bytes."""

    size: int
    max_size: int
    refused: str = ""
    """Why it must not be touched ("" when it may grow)."""

    @property
    def grows(self) -> bool:
        return not self.refused and self.max_size - self.size >= MIN_GROWTH


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts of a file system this module can grow, in mount order."""
    out = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 5 or len(tail) < 2 or tail[0] not in FILESYSTEMS:
            continue
        out.append(Mount(_unescape(fields[4]), tail[0], _unescape(tail[1]), fields[2]))
    return out


def find_partition(system: Path, devno: str) -> Partition | None:
    """The partition (and its disk) behind ``major:minor``, from sysfs under ``system``; None
    for a whole disk, device-mapper (LVM, LUKS), md or anything else that is no partition."""
    link = system / "sys/dev/block" / devno
    try:
        real = Path(os.path.realpath(link))
        number = int((real / "partition").read_text().strip())
    except (OSError, ValueError):
        return None
    return Partition(f"/dev/{real.parent.name}", f"/dev/{real.name}", number)


def plan(table: dict[str, Any], disk_bytes: int, number: int) -> Plan:
    """Decide from ``sfdisk --json`` output and the disk's size now: grow the partition to the
    end of the disk, or refuse (not the last partition, a logical MBR partition, past MBR's
    2 TiB). No free space is a plan that does not grow."""
    pt = table.get("partitiontable", {})
    sector = int(pt.get("sectorsize", 512))
    label = str(pt.get("label", ""))
    parts = pt.get("partitions", [])
    total = disk_bytes // sector
    nodes = {_number(p): p for p in parts}
    mine = nodes.get(number)
    if mine is None:
        return Plan(0, 0, refused=f"partition {number} is not in the {label} table")
    start, size = int(mine["start"]), int(mine["size"])
    if any(int(p["start"]) > start for p in parts):
        return Plan(size * sector, size * sector, refused="a partition follows it on the disk")
    if label == "gpt":
        last = total - GPT_TAIL_SECTORS
    elif label == "dos":
        if number > 4:
            return Plan(size * sector, size * sector, refused="logical MBR partition")
        last = total - 1
        if last >= MBR_LIMIT_SECTORS:
            limit = MBR_LIMIT_SECTORS * sector >> 40
            return Plan(
                size * sector,
                size * sector,
                refused=f"an MBR partition table addresses at most {limit} TiB here",
            )
    else:
        return Plan(size * sector, size * sector, refused=f"unknown partition table {label!r}")
    return Plan(size * sector, max(size, last - start + 1) * sector)


def _number(entry: dict[str, Any]) -> int:
    """The partition number from sfdisk's node name (``/dev/vda2`` -> 2, ``nvme0n1p3`` -> 3)."""
    node = str(entry.get("node", ""))
    digits = node[len(node.rstrip("0123456789")) :]
    return int(digits) if digits else -1


def parse_table(stdout: bytes) -> dict[str, Any]:
    data = json.loads(stdout.decode("utf-8", "replace"))
    if not isinstance(data, dict):
        raise ValueError("sfdisk --json gave no object")
    return data


def sfdisk_grow(disk: str, number: int) -> tuple[list[str], bytes]:
    """argv and stdin that grow partition ``number`` as far as it goes. ``--no-reread``: the
    disk is in use (the root is on it); sfdisk then tells the kernel about the one changed
    partition itself."""
    return ["sfdisk", "--no-reread", "-N", str(number), disk], b",+\n"


def grow_fs_argv(fstype: str, device: str, mountpoint: str) -> list[str]:
    """Grow a mounted file system to fill its partition. Always a device: resize2fs given a
    regular file (``image?offset=N``) truncates the file to the new size, cutting off what
    follows (GPT's backup header)."""
    if fstype.startswith("ext"):
        return ["resize2fs", device]
    if fstype == "xfs":
        return ["xfs_growfs", "-d", mountpoint]
    if fstype == "btrfs":
        return ["btrfs", "filesystem", "resize", "max", mountpoint]
    raise ValueError(fstype)


def device_bytes(path: Path) -> int:
    """Size of a block device or image file (seeking to its end works for both)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)
