"""VFAT drives, written as FAT16 with long file names by our own code (no mtools, no root).

The writer lays out everything itself, so a build is a pure function of its input: timestamps
are ``FIXED_EPOCH``, the volume serial comes from the content hash, clusters are allocated in
sorted path order and the image is a whole number of MiB. The reader (``vfat_read``) also
understands FAT12 and FAT32, as other tools make them.
"""

from __future__ import annotations

import logging
import math
import struct
import sys
import time
from array import array
from dataclasses import dataclass, field
from itertools import count
from typing import BinaryIO, Final

from wincloud.configdrive.layout import FIXED_EPOCH, Folder
from wincloud.errors import DriveError

log = logging.getLogger(__name__)

SECTOR: Final = 512
ENTRY: Final = 32
ATTR_VOLUME: Final = 0x08
ATTR_DIR: Final = 0x10
ATTR_ARCHIVE: Final = 0x20
ATTR_LFN: Final = 0x0F
LFN_CHARS: Final = 13
_ALIGN_SECTORS: Final = 2048  # images are whole MiB
_MIN_CLUSTERS: Final = 4200  # FAT16 starts at 4085 clusters; keep a margin
_MAX_CLUSTERS: Final = 65524  # FAT32 starts above this
_MIN_ROOT_ENTRIES: Final = 512
_SHORT_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%'-_@~`!(){}^#&")


def _fat_stamp(epoch: int) -> tuple[int, int]:
    t = time.gmtime(epoch)
    fat_date = ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    fat_time = (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    return fat_date, fat_time


FAT_DATE, FAT_TIME = _fat_stamp(FIXED_EPOCH)


@dataclass
class _Dir:
    path: str
    parent: _Dir | None
    entries: list[_Entry] = field(default_factory=list)
    cluster: int = 0  # 0 is the root's fixed region (and what '..' says for it)

    @property
    def slots(self) -> int:
        own = 1 if self.parent is None else 2  # the label, or '.' and '..'
        return own + sum(e.slots for e in self.entries)


@dataclass
class _Entry:
    name: str
    short: bytes
    has_lfn: bool
    data: bytes | None  # None for a directory
    child: _Dir | None
    cluster: int = 0

    @property
    def slots(self) -> int:
        return 1 + (math.ceil(len(self.name) / LFN_CHARS) if self.has_lfn else 0)

    @property
    def size(self) -> int:
        """Bytes in the data area: the file's content, or the directory's records."""
        return self.child.slots * ENTRY if self.child is not None else len(self.data or b"")


@dataclass(frozen=True)
class _Geometry:
    sectors_per_cluster: int
    root_entries: int
    fat_sectors: int
    total_sectors: int
    clusters: int

    @property
    def cluster_bytes(self) -> int:
        return self.sectors_per_cluster * SECTOR

    @property
    def root_offset(self) -> int:
        return (1 + 2 * self.fat_sectors) * SECTOR

    @property
    def data_offset(self) -> int:
        return self.root_offset + self.root_entries * ENTRY


def write_vfat(root: Folder, out: BinaryIO, *, label: str, serial: int) -> None:
    """Write ``root`` as a FAT16 image labelled ``label`` (stored as given, like mkfs.fat -n)."""
    top = _plan(root, "", None)
    dirs = list(_walk_dirs(top))
    geo = _geometry(dirs)
    image = bytearray(geo.total_sectors * SECTOR)
    fat = array("H", bytes(geo.fat_sectors * SECTOR))
    fat[0], fat[1] = 0xFFF8, 0xFFFF
    next_free = 2
    for entry in (e for d in dirs for e in d.entries):
        clusters = math.ceil(entry.size / geo.cluster_bytes)
        if clusters:
            entry.cluster = next_free
            for c in range(next_free, next_free + clusters - 1):
                fat[c] = c + 1
            fat[next_free + clusters - 1] = 0xFFFF
            next_free += clusters
        if entry.child is not None:
            entry.child.cluster = entry.cluster
    label11 = label.encode("ascii").ljust(11)
    for d in dirs:
        raw = _dir_records(d, label11)
        offset = geo.root_offset if d.parent is None else _cluster_offset(geo, d.cluster)
        image[offset : offset + len(raw)] = raw
    for entry in (e for d in dirs for e in d.entries):
        if entry.data:
            offset = _cluster_offset(geo, entry.cluster)
            image[offset : offset + len(entry.data)] = entry.data
    if sys.byteorder == "big":  # pragma: no cover - FAT is little-endian
        fat.byteswap()
    table = fat.tobytes()
    for copy in range(2):
        offset = (1 + copy * geo.fat_sectors) * SECTOR
        image[offset : offset + len(table)] = table
    image[:SECTOR] = _boot_sector(geo, label11, serial)
    out.write(image)


def short_name(name: str, taken: set[bytes]) -> tuple[bytes, bool]:
    """An 11-byte 8.3 name unique in ``taken`` and whether ``name`` needs an LFN beside it."""
    upper = name.upper()
    stem, dot, ext = upper.rpartition(".")
    if not dot:
        stem, ext = upper, ""
    plain = set(stem + ext) <= _SHORT_CHARS
    if name == upper and plain and 1 <= len(stem) <= 8 and len(ext) <= 3:
        exact = stem.ljust(8).encode() + ext.ljust(3).encode()
        if exact not in taken:
            taken.add(exact)
            return exact, False
    base = _clean(stem.lstrip(".")) or _clean(ext)
    ext3 = _clean(ext)[:3]
    for n in count(1):
        tail = f"~{n}"
        candidate = (base[: 8 - len(tail)] + tail).ljust(8).encode() + ext3.ljust(3).encode()
        if candidate not in taken:
            taken.add(candidate)
            return candidate, True
    raise AssertionError("unreachable")  # pragma: no cover


def lfn_checksum(short: bytes) -> int:
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


def _clean(text: str) -> str:
    return "".join(c if c in _SHORT_CHARS else "_" for c in text.replace(" ", "").replace(".", ""))


def _plan(folder: Folder, path: str, parent: _Dir | None) -> _Dir:
    this = _Dir(path, parent)
    taken: set[bytes] = set()
    for name, node in folder.entries():
        short, has_lfn = short_name(name, taken)
        if isinstance(node, Folder):
            child = _plan(node, f"{path}{name}/", this)
            this.entries.append(_Entry(name, short, has_lfn, None, child))
        else:
            this.entries.append(_Entry(name, short, has_lfn, node, None))
    return this


def _walk_dirs(d: _Dir) -> list[_Dir]:
    found = [d]
    for entry in d.entries:
        if entry.child is not None:
            found.extend(_walk_dirs(entry.child))
    return found


def _geometry(dirs: list[_Dir]) -> _Geometry:
    root = dirs[0]
    root_entries = max(_MIN_ROOT_ENTRIES, -(-root.slots // 16) * 16)
    if root_entries > 0xFFFF:
        raise DriveError("too many names in the drive's top directory", subject="/")
    root_sectors = root_entries * ENTRY // SECTOR
    sizes = [e.size for d in dirs for e in d.entries]
    for spc in (1, 2, 4, 8, 16, 32, 64):
        need = max(_MIN_CLUSTERS, sum(math.ceil(s / (spc * SECTOR)) for s in sizes))
        total = _round_up(1 + root_sectors + 2 * _fat_sectors(need) + need * spc, _ALIGN_SECTORS)
        while True:
            fat_sectors = _fat_sectors((total - 1 - root_sectors) // spc)
            clusters = (total - 1 - root_sectors - 2 * fat_sectors) // spc
            if clusters >= need:
                break
            total += _ALIGN_SECTORS
        if clusters <= _MAX_CLUSTERS:
            return _Geometry(spc, root_entries, fat_sectors, total, clusters)
    raise DriveError("content too large for a FAT16 drive", subject="/")  # pragma: no cover


def _fat_sectors(clusters: int) -> int:
    return math.ceil((clusters + 2) * 2 / SECTOR)


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


def _cluster_offset(geo: _Geometry, cluster: int) -> int:
    return geo.data_offset + (cluster - 2) * geo.cluster_bytes


def _dir_records(d: _Dir, label11: bytes) -> bytes:
    records: list[bytes] = []
    if d.parent is None:
        records.append(_record(label11, ATTR_VOLUME, 0, 0))
    else:
        records.append(_record(b".".ljust(11), ATTR_DIR, d.cluster, 0))
        records.append(_record(b"..".ljust(11), ATTR_DIR, d.parent.cluster, 0))
    for e in d.entries:
        if e.has_lfn:
            records.extend(_lfn_records(e.name, e.short))
        if e.data is None:
            records.append(_record(e.short, ATTR_DIR, e.cluster, 0))
        else:
            records.append(_record(e.short, ATTR_ARCHIVE, e.cluster, len(e.data)))
    return b"".join(records)


def _record(short: bytes, attr: int, cluster: int, size: int) -> bytes:
    return struct.pack(
        "<11sBBBHHHHHHHI",
        short,
        attr,
        0,
        0,
        FAT_TIME,
        FAT_DATE,
        FAT_DATE,
        0,
        FAT_TIME,
        FAT_DATE,
        cluster,
        size,
    )


def _lfn_records(name: str, short: bytes) -> list[bytes]:
    units = [name[i].encode("utf-16-le") for i in range(len(name))]
    parts = math.ceil(len(units) / LFN_CHARS)
    if len(units) % LFN_CHARS:
        units.append(b"\0\0")
    units.extend([b"\xff\xff"] * (parts * LFN_CHARS - len(units)))
    checksum = lfn_checksum(short)
    records = []
    for seq in range(parts, 0, -1):
        chunk = b"".join(units[(seq - 1) * LFN_CHARS : seq * LFN_CHARS])
        ordinal = seq | (0x40 if seq == parts else 0)
        records.append(
            struct.pack(
                "<B10sBBB12sH4s",
                ordinal,
                chunk[0:10],
                ATTR_LFN,
                0,
                checksum,
                chunk[10:22],
                0,
                chunk[22:26],
            )
        )
    return records


def _boot_sector(geo: _Geometry, label11: bytes, serial: int) -> bytes:
    sector = bytearray(SECTOR)
    small = geo.total_sectors < 0x10000
    struct.pack_into(
        "<3s8sHBHBHHBHHHII",
        sector,
        0,
        b"\xeb\x3c\x90",
        b"MSWIN4.1",
        SECTOR,
        geo.sectors_per_cluster,
        1,  # reserved sectors
        2,  # FATs
        geo.root_entries,
        geo.total_sectors if small else 0,
        0xF8,  # media: fixed disk
        geo.fat_sectors,
        32,  # sectors per track
        64,  # heads
        0,  # hidden sectors
        0 if small else geo.total_sectors,
    )
    struct.pack_into("<BBBI11s8s", sector, 36, 0x80, 0, 0x29, serial, label11, b"FAT16   ")
    sector[62:64] = b"\xcd\x18"  # int 18h: not bootable, the BIOS tries the next device
    sector[510:512] = b"\x55\xaa"
    return bytes(sector)
