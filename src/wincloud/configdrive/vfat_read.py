"""Read FAT12/16/32 images (long file names included) without mounting: label and files."""

from __future__ import annotations

import logging
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from wincloud.configdrive.layout import MAX_DEPTH, MAX_DRIVE_BYTES, MAX_FILES
from wincloud.configdrive.vfat import ATTR_DIR, ATTR_LFN, ATTR_VOLUME, ENTRY, lfn_checksum
from wincloud.errors import DriveError

# What the reader will walk at most: headroom over the builder's limits (which count files
# only), so a drive built right at them, its directories added, still reads.
READ_MAX_BYTES: Final = 2 * MAX_DRIVE_BYTES
READ_MAX_ENTRIES: Final = (MAX_DEPTH + 1) * MAX_FILES

log = logging.getLogger(__name__)

_MAX_FAT_BYTES: Final = 16 * 1024 * 1024
_MAX_DEPTH: Final = 16
_NO_LABEL: Final = "NO NAME"


@dataclass(frozen=True)
class _DirEntry:
    name: str
    attr: int
    cluster: int
    size: int


@dataclass(frozen=True)
class FatBoot:
    """The BIOS parameter block: enough to find everything else."""

    sector_bytes: int
    sectors_per_cluster: int
    reserved: int
    fats: int
    root_entries: int
    total_sectors: int
    fat_sectors: int
    root_cluster: int
    label: str | None

    @classmethod
    def parse(cls, boot: bytes) -> FatBoot | None:
        """The parameters of a FAT boot sector, or None when ``boot`` is not one."""
        if len(boot) < 512 or boot[510:512] != b"\x55\xaa" or boot[0] not in (0xEB, 0xE9):
            return None
        bps, spc, reserved, fats, root_entries, total16 = struct.unpack_from("<HBHBHH", boot, 11)
        (fat16,) = struct.unpack_from("<H", boot, 22)
        total32, fat32, _flags, root_cluster = struct.unpack_from("<IIII", boot, 32)
        fat_sectors = fat16 or fat32
        total = total16 or total32
        if (
            bps not in (512, 1024, 2048, 4096)
            or spc == 0
            or spc & (spc - 1)
            or reserved == 0
            or not 1 <= fats <= 4
            or boot[21] < 0xF0
            or fat_sectors == 0
            or total == 0
        ):
            return None
        label_at = 43 if fat16 else 71
        signature = boot[label_at - 5]
        label = None
        if signature == 0x29:
            label = _clean_label(boot[label_at : label_at + 11])
        return cls(bps, spc, reserved, fats, root_entries, total, fat_sectors, root_cluster, label)

    @property
    def root_offset(self) -> int:
        return (self.reserved + self.fats * self.fat_sectors) * self.sector_bytes

    @property
    def data_offset(self) -> int:
        return self.root_offset + math.ceil(self.root_entries * ENTRY / self.sector_bytes) * (
            self.sector_bytes
        )

    @property
    def clusters(self) -> int:
        data_sectors = self.total_sectors - self.data_offset // self.sector_bytes
        return max(0, data_sectors // self.sectors_per_cluster)

    @property
    def fat_bits(self) -> int:
        return 12 if self.clusters < 4085 else 16 if self.clusters < 65525 else 32


def read_vfat(image: BinaryIO, *, subject: str) -> tuple[str | None, dict[str, bytes]]:
    """Return (volume label, files) of a FAT image."""
    volume = _Volume.open(image, subject)
    root = list(volume.root_entries())
    label = _root_label(root) or volume.boot.label
    return label, volume.read_tree(root)


def read_vfat_label(image: BinaryIO, *, subject: str) -> str | None:
    """The label blkid would report: the root directory's label entry, else the boot sector's."""
    volume = _Volume.open(image, subject)
    return _root_label(volume.root_entries()) or volume.boot.label


class _Volume:
    def __init__(self, image: BinaryIO, subject: str, boot: FatBoot, image_bytes: int) -> None:
        self.image, self.subject, self.boot = image, subject, boot
        self.fat = b""
        self.cluster_bytes = boot.sectors_per_cluster * boot.sector_bytes
        fat_bytes = boot.fat_sectors * boot.sector_bytes
        fat_entries = fat_bytes * 2 // 3 if boot.fat_bits == 12 else fat_bytes * 8 // boot.fat_bits
        # Clusters the volume may name: what the boot sector declares, capped by what one FAT
        # can describe; of those, only the ones inside the image can be read.
        self.clusters = max(0, min(boot.clusters, fat_entries - 2))
        in_image = max(0, image_bytes - boot.data_offset) // self.cluster_bytes
        self.present = min(self.clusters, in_image)
        # Directories and files share one budget, so no image can make the reader do more. It
        # has headroom over the builder's limits (which count files only): a drive built right
        # at them, directories added, still reads.
        self.bytes_left = READ_MAX_BYTES
        self.entries_left = READ_MAX_ENTRIES

    @classmethod
    def open(cls, image: BinaryIO, subject: str) -> _Volume:
        image.seek(0)
        boot = FatBoot.parse(image.read(512))
        if boot is None:
            raise DriveError("not a FAT file system", subject=subject)
        fat_bytes = boot.fat_sectors * boot.sector_bytes
        if fat_bytes > _MAX_FAT_BYTES:
            raise DriveError("FAT volume too large to be a config drive", subject=subject)
        if boot.clusters == 0:
            raise DriveError("boot sector declares no data clusters", subject=subject)
        if boot.fat_bits != 32 and boot.root_entries == 0:
            raise DriveError("boot sector gives the volume no root directory", subject=subject)
        if boot.fat_bits == 32 and not 2 <= boot.root_cluster < boot.clusters + 2:
            raise DriveError(
                f"boot sector names root cluster {boot.root_cluster}, outside the volume",
                subject=subject,
            )
        volume = cls(image, subject, boot, image.seek(0, os.SEEK_END))
        volume.fat = volume.read_at(boot.reserved * boot.sector_bytes, fat_bytes)
        return volume

    def charge(self, size: int, entries: int, what: str) -> None:
        """Count ``size`` bytes and ``entries`` names against the drive's limits."""
        if size > self.bytes_left or entries > self.entries_left:
            raise DriveError(
                f"drive content is over the limits ({READ_MAX_BYTES} bytes, "
                f"{READ_MAX_ENTRIES} files and directories) at {what}",
                subject=self.subject,
            )
        self.bytes_left -= size
        self.entries_left -= entries

    def read_at(self, offset: int, size: int) -> bytes:
        self.image.seek(offset)
        data = self.image.read(size)
        if len(data) != size:
            raise DriveError(
                f"truncated image: {size} bytes wanted at offset {offset}, {len(data)} found",
                subject=self.subject,
            )
        return data

    def next_cluster(self, cluster: int) -> int | None:
        """The next cluster of a chain, or None at its end."""
        bits = self.boot.fat_bits
        if bits == 12:
            at = cluster + cluster // 2
            pair = int.from_bytes(self.fat[at : at + 2], "little")
            value, end = (pair >> 4 if cluster & 1 else pair & 0xFFF), 0xFF8
        elif bits == 16:
            value, end = int.from_bytes(self.fat[2 * cluster : 2 * cluster + 2], "little"), 0xFFF8
        else:
            raw = int.from_bytes(self.fat[4 * cluster : 4 * cluster + 4], "little")
            value, end = raw & 0x0FFFFFFF, 0x0FFFFFF8
        if value >= end:
            return None
        if not 2 <= value < self.clusters + 2:
            raise DriveError(
                f"broken FAT chain at cluster {cluster} (next {value:#x})", subject=self.subject
            )
        return value

    def read_chain(self, first: int, size: int | None, what: str) -> bytes:
        """Read ``size`` bytes (or the whole chain, charged to the budget) from cluster ``first``.

        A chain is followed at most as far as its declared size (or the remaining budget) needs,
        and never through the same cluster twice.
        """
        if size is None:
            limit = self.bytes_left // self.cluster_bytes
        else:
            limit = math.ceil(size / self.cluster_bytes)
        runs: list[list[int]] = []
        visited: set[int] = set()
        cluster: int | None = first
        while cluster is not None and len(visited) < limit:
            self._check_cluster(cluster, what)
            if cluster in visited:
                raise DriveError(
                    f"FAT chain loops at cluster {cluster} in {what}", subject=self.subject
                )
            visited.add(cluster)
            if runs and runs[-1][0] + runs[-1][1] == cluster:
                runs[-1][1] += 1
            else:
                runs.append([cluster, 1])
            cluster = self.next_cluster(cluster)
        if size is None:
            if cluster is not None:  # the chain goes on past the budget
                self.charge(self.bytes_left + 1, 0, what)
            self.charge(len(visited) * self.cluster_bytes, 0, what)
        elif len(visited) < limit:
            raise DriveError(f"FAT chain shorter than the size of {what}", subject=self.subject)
        data = b"".join(
            self.read_at(
                self.boot.data_offset + (start - 2) * self.cluster_bytes, n * self.cluster_bytes
            )
            for start, n in runs
        )
        return data if size is None else data[:size]

    def _check_cluster(self, cluster: int, what: str) -> None:
        if not 2 <= cluster < self.clusters + 2:
            raise DriveError(f"broken FAT chain for {what}", subject=self.subject)
        if cluster >= self.present + 2:
            raise DriveError(
                f"truncated image: cluster {cluster} of {what} lies past its end",
                subject=self.subject,
            )

    def root_entries(self) -> Iterator[_DirEntry]:
        if self.boot.fat_bits == 32:
            raw = self.read_chain(self.boot.root_cluster, None, "the root directory")
        else:
            size = self.boot.root_entries * ENTRY
            self.charge(size, 0, "the root directory")
            raw = self.read_at(self.boot.root_offset, size)
        return _parse_dir(raw)

    def read_tree(self, root: list[_DirEntry]) -> dict[str, bytes]:
        files: dict[str, bytes] = {}
        seen: set[int] = set()
        stack: list[tuple[str, list[_DirEntry], int]] = [("", root, 0)]
        while stack:
            prefix, entries, depth = stack.pop()
            for entry in entries:
                if entry.attr & ATTR_VOLUME:
                    continue
                path = f"{prefix}{entry.name}"
                if "/" in entry.name or "\0" in entry.name or entry.name in {"", ".", ".."}:
                    raise DriveError(
                        f"invalid name {entry.name!r} in directory {prefix or '/'}",
                        subject=self.subject,
                    )
                if entry.attr & ATTR_DIR:
                    if entry.cluster in seen or depth >= _MAX_DEPTH or entry.cluster < 2:
                        raise DriveError(f"directory loop at {path}", subject=self.subject)
                    seen.add(entry.cluster)
                    self.charge(0, 1, path)
                    raw = self.read_chain(entry.cluster, None, path)
                    stack.append((f"{path}/", list(_parse_dir(raw)), depth + 1))
                    continue
                self.charge(entry.size, 1, path)
                files[path] = (
                    self.read_chain(entry.cluster, entry.size, path) if entry.size else b""
                )
        return dict(sorted(files.items()))


def _parse_dir(raw: bytes) -> Iterator[_DirEntry]:
    """Directory records, with long names joined; skips '.', '..' and deleted entries."""
    parts: dict[int, str] = {}
    checksum = expected = -1
    for offset in range(0, len(raw) - ENTRY + 1, ENTRY):
        rec = raw[offset : offset + ENTRY]
        if rec[0] == 0:
            return
        attr = rec[11]
        if rec[0] == 0xE5:
            parts = {}
            continue
        if attr & 0x3F == ATTR_LFN:
            if rec[0] & 0x40:
                parts, checksum, expected = {}, rec[13], rec[0] & 0x1F
            if rec[13] == checksum:
                parts[rec[0] & 0x1F] = _lfn_text(rec)
            continue
        short = rec[:11]
        long_name = None
        if parts and checksum == lfn_checksum(short) and set(parts) == set(range(1, expected + 1)):
            long_name = "".join(parts[i] for i in range(1, expected + 1))
        parts = {}
        if short[0] == 0x2E:  # '.' and '..'
            continue
        cluster = int.from_bytes(rec[26:28], "little") | int.from_bytes(rec[20:22], "little") << 16
        size = int.from_bytes(rec[28:32], "little")
        if attr & ATTR_VOLUME and not attr & ATTR_DIR:
            yield _DirEntry(_clean_label(short) or "", ATTR_VOLUME, 0, 0)
            continue
        yield _DirEntry(long_name or _short_text(short, rec[12]), attr, cluster, size)


def _lfn_text(rec: bytes) -> str:
    text = (rec[1:11] + rec[14:26] + rec[28:32]).decode("utf-16-le", "replace")
    return text.split("\0", 1)[0]


def _short_text(short: bytes, case_flags: int) -> str:
    raw = bytearray(short)
    if raw[0] == 0x05:
        raw[0] = 0xE5
    base = raw[:8].decode("cp437").rstrip(" ")
    ext = raw[8:11].decode("cp437").rstrip(" ")
    if case_flags & 0x08:
        base = base.lower()
    if case_flags & 0x10:
        ext = ext.lower()
    return f"{base}.{ext}" if ext else base


def _clean_label(raw: bytes) -> str | None:
    label = raw.decode("cp437").rstrip(" \0")
    return None if not label or label == _NO_LABEL else label


def _root_label(entries: Iterator[_DirEntry] | list[_DirEntry]) -> str | None:
    for entry in entries:
        if entry.attr == ATTR_VOLUME:
            return entry.name or None
    return None
