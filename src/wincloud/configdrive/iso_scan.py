"""A bounded look at an ISO 9660 image before pycdlib parses it.

pycdlib builds an object for every directory record and path-table entry of every hierarchy
when it opens an image, before the reader can count anything: 60,000 empty files in a 10 MB
image cost it 200 MB and seconds. This walk reads the volume descriptors and the directory
records of each hierarchy (primary, Joliet and any other supplementary one) straight from the
image, with a budget for records, directory bytes, depth and the path table, and refuses the
image when one is exceeded. It only counts: the files are read by pycdlib afterwards.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO, Final

from wincloud.configdrive.layout import MAX_DEPTH, MAX_FILES
from wincloud.errors import DriveError

SECTOR: Final = 2048
MAX_DESCRIPTORS: Final = 32
"""Volume descriptors looked at (a real image has 3 or 4 before the terminator)."""
MAX_RECORDS: Final = 2 * MAX_FILES
"""Directory records per hierarchy: every file plus as many directories."""
MAX_DIR_BYTES: Final = 4 * 1024 * 1024
"""Directory extents per hierarchy (Rock Ridge records are about 250 bytes)."""
MAX_PATH_TABLE: Final = 1024 * 1024
MAX_SCAN_DEPTH: Final = 2 * MAX_DEPTH
"""Headroom over the builder's 8 levels (Rock Ridge relocates deeper trees anyway)."""
_ISO_MAGIC: Final = b"CD001"


@dataclass(frozen=True)
class Hierarchy:
    kind: str
    """primary or supplementary."""
    files: int
    directories: int


def scan_iso(image: BinaryIO, *, subject: str) -> list[Hierarchy]:
    """Count each hierarchy's files and directories; DriveError when the image is over a
    budget or its directory structure is nonsense (a loop, an extent past the end)."""
    size = image.seek(0, 2)
    found: list[Hierarchy] = []
    for index in range(MAX_DESCRIPTORS):
        descriptor = _read(image, (16 + index) * SECTOR, SECTOR, size, subject)
        if descriptor[1:6] != _ISO_MAGIC:
            break
        kind = descriptor[0]
        if kind == 255:
            break
        if kind not in (1, 2):
            continue
        (block,) = struct.unpack_from("<H", descriptor, 128)
        (path_table,) = struct.unpack_from("<I", descriptor, 132)
        if block not in (512, 1024, 2048):
            raise DriveError(f"ISO 9660 logical block size {block} is not valid", subject=subject)
        if path_table > MAX_PATH_TABLE:
            raise DriveError(
                f"ISO 9660 path table of {path_table} bytes, over the {MAX_PATH_TABLE} the "
                "reader accepts",
                subject=subject,
            )
        root = descriptor[156:190]
        found.append(
            _walk(image, root, block, size, "primary" if kind == 1 else "supplementary", subject)
        )
    if not found:
        raise DriveError("ISO 9660 image without a volume descriptor", subject=subject)
    return found


def _walk(
    image: BinaryIO, root: bytes, block: int, size: int, kind: str, subject: str
) -> Hierarchy:
    files = directories = 0
    dir_bytes = 0
    seen: set[int] = set()
    pending: list[tuple[int, int, int]] = [(*_extent(root), 1)]
    while pending:
        extent, length, depth = pending.pop()
        if extent in seen:
            raise DriveError("ISO 9660 directory loop", subject=subject)
        seen.add(extent)
        if depth > MAX_SCAN_DEPTH:
            raise DriveError(
                f"ISO 9660 directories nested over {MAX_SCAN_DEPTH} deep", subject=subject
            )
        dir_bytes += length
        if dir_bytes > MAX_DIR_BYTES:
            raise DriveError(
                f"ISO 9660 directories over {MAX_DIR_BYTES} bytes ({kind} names)",
                subject=subject,
            )
        data = _read(image, extent * block, length, size, subject)
        offset = 0
        while offset < len(data):
            record_length = data[offset]
            if record_length == 0:  # records do not cross sectors: skip to the next one
                offset = (offset // SECTOR + 1) * SECTOR
                continue
            record = data[offset : offset + record_length]
            offset += record_length
            if len(record) < 34 or record[32] == 0 or 33 + record[32] > len(record):
                raise DriveError("damaged ISO 9660 directory record", subject=subject)
            name = record[33 : 33 + record[32]]
            if name in (b"\x00", b"\x01"):  # "." and ".."
                continue
            if record[25] & 0x02:
                directories += 1
                pending.append((*_extent(record), depth + 1))
            else:
                files += 1
            if files > MAX_FILES:
                raise DriveError(
                    f"over {MAX_FILES} files on the drive ({kind} names)", subject=subject
                )
            if files + directories > MAX_RECORDS:
                raise DriveError(
                    f"over {MAX_RECORDS} directory entries on the drive ({kind} names)",
                    subject=subject,
                )
    return Hierarchy(kind, files, directories)


def _extent(record: bytes) -> tuple[int, int]:
    extent, length = struct.unpack_from("<I4xI", record, 2)
    return extent, length


def _read(image: BinaryIO, offset: int, length: int, size: int, subject: str) -> bytes:
    if offset + length > size:
        raise DriveError(
            f"truncated image: {length} bytes at offset {offset}, the image has {size}",
            subject=subject,
        )
    image.seek(offset)
    data = image.read(length)
    if len(data) != length:
        raise DriveError(f"truncated image at offset {offset}", subject=subject)
    return data
