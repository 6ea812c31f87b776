"""VHD structures (Microsoft "Virtual Hard Disk Image Format Specification" 1.0): the 512-byte
footer, the 1024-byte dynamic disk header with its eight parent locator entries, the CHS
geometry and the one's-complement checksum. Everything is big-endian except the Windows
parent locator paths (UTF-16LE)."""

from __future__ import annotations

import struct
import time
import uuid
from dataclasses import dataclass, field, replace

from wincloud.hyperv.vhd.error import VhdError

FOOTER_SIZE = 512
HEADER_SIZE = 1024
SECTOR = 512
COOKIE = b"conectix"
SPARSE_COOKIE = b"cxsparse"
NO_OFFSET = 0xFFFFFFFFFFFFFFFF
UNUSED = 0xFFFFFFFF
FIXED, DYNAMIC, DIFFERENCING = 2, 3, 4
KINDS = {FIXED: "fixed", DYNAMIC: "dynamic", DIFFERENCING: "differencing"}
MAX_SIZE = 2040 * 1024**3  # the specification's limit
# "win " makes readers (qemu among them) take the size from current_size, as Hyper-V does,
# instead of from the CHS geometry, which cannot express most sizes exactly.
CREATOR_APP = b"win "
CREATOR_VERSION = 0x000A0000
CREATOR_OS = b"Wi2k"
EPOCH_2000 = 946684800
W2RU, W2KU = b"W2ru", b"W2ku"  # relative / absolute Windows path, UTF-16LE

NIL = uuid.UUID(int=0)
_FOOTER = struct.Struct(">8sIIQI4sI4sQQHBBII16sB427x")
_HEADER = struct.Struct(">8sQQIIII16sII512s")
_LOCATOR = struct.Struct(">4sIIIQ")


def checksum(data: bytes, skip: int) -> int:
    """One's complement of the byte sum, the 4 checksum bytes at ``skip`` counted as zero."""
    total = sum(data) - sum(data[skip : skip + 4])
    return ~total & 0xFFFFFFFF


def geometry(size: int) -> tuple[int, int, int]:
    """(cylinders, heads, sectors per track) for ``size`` bytes, as the specification computes."""
    sectors = min(size // SECTOR, 65535 * 16 * 255)
    if sectors >= 65535 * 16 * 63:
        per_track, heads = 255, 16
        cyl_heads = sectors // per_track
    else:
        per_track = 17
        cyl_heads = sectors // per_track
        heads = max((cyl_heads + 1023) // 1024, 4)
        if cyl_heads >= heads * 1024 or heads > 16:
            per_track, heads = 31, 16
            cyl_heads = sectors // per_track
        if cyl_heads >= heads * 1024:
            per_track, heads = 63, 16
            cyl_heads = sectors // per_track
    return cyl_heads // heads, heads, per_track


def timestamp() -> int:
    return max(0, int(time.time()) - EPOCH_2000) & 0xFFFFFFFF


@dataclass(frozen=True)
class Footer:
    disk_type: int
    current_size: int
    original_size: int
    data_offset: int
    unique_id: uuid.UUID
    timestamp: int = 0
    creator_app: bytes = CREATOR_APP
    creator_version: int = CREATOR_VERSION
    creator_os: bytes = CREATOR_OS
    geometry: tuple[int, int, int] = (0, 0, 0)
    saved_state: int = 0
    features: int = 2

    def pack(self) -> bytes:
        cyl, heads, spt = self.geometry
        fields: tuple[object, ...] = (COOKIE, self.features, 0x00010000, self.data_offset)
        fields += (self.timestamp, self.creator_app, self.creator_version, self.creator_os)
        fields += (self.original_size, self.current_size, cyl, heads, spt, self.disk_type, 0)
        raw = bytearray(_FOOTER.pack(*fields, self.unique_id.bytes, self.saved_state))
        struct.pack_into(">I", raw, 64, checksum(bytes(raw), 64))
        return bytes(raw)

    def resized(self, size: int) -> Footer:
        """The footer of the disk grown or shrunk to ``size``. The original size is
        informational in the specification, but libvhdi takes the disk size from it: both
        change."""
        return replace(self, current_size=size, original_size=size, geometry=geometry(size))


def parse_footer(raw: bytes, *, subject: str, where: str = "footer") -> Footer:
    if len(raw) < FOOTER_SIZE or raw[:8] != COOKIE:
        raise VhdError(f"VHD {where} cookie is not 'conectix'", subject=subject)
    fields = _FOOTER.unpack(raw[:FOOTER_SIZE])
    (_, features, version, data_offset, stamp, app, app_version, host_os) = fields[:8]
    (original, current, cyl, heads, spt, disk_type, stored, uid, saved) = fields[8:]
    if stored != checksum(raw[:FOOTER_SIZE], 64):
        raise VhdError(f"VHD {where} checksum mismatch", subject=subject)
    if version >> 16 != 1:
        raise VhdError(f"VHD {where} file format version {version:#x} is not 1.x", subject=subject)
    if disk_type not in KINDS:
        raise VhdError(f"VHD {where} disk type {disk_type} is not supported", subject=subject)
    if current > MAX_SIZE or current % SECTOR:
        raise VhdError(f"VHD {where} current size {current} is not usable", subject=subject)
    return Footer(
        disk_type=disk_type,
        current_size=current,
        original_size=original,
        data_offset=data_offset,
        unique_id=uuid.UUID(bytes=uid),
        timestamp=stamp,
        creator_app=app,
        creator_version=app_version,
        creator_os=host_os,
        geometry=(cyl, heads, spt),
        saved_state=saved,
        features=features,
    )


@dataclass(frozen=True)
class Locator:
    code: bytes
    # The specification says sectors; Windows writes bytes (a locator at 0x1000 with space
    # 4096 followed by the BAT at 0x2000). We write bytes, as Windows does, and read only
    # data_length bytes, so either reading works.
    data_space: int
    data_length: int
    data_offset: int


@dataclass(frozen=True)
class DynamicHeader:
    table_offset: int
    max_table_entries: int
    block_size: int
    parent_unique_id: uuid.UUID = NIL
    parent_timestamp: int = 0
    parent_name: str = ""
    locators: tuple[Locator, ...] = field(default_factory=tuple)

    def pack(self) -> bytes:
        name = self.parent_name.encode("utf-16-be")[:512]
        raw = bytearray(HEADER_SIZE)
        _HEADER.pack_into(
            raw, 0, SPARSE_COOKIE, NO_OFFSET, self.table_offset, 0x00010000,
            self.max_table_entries, self.block_size, 0, self.parent_unique_id.bytes,
            self.parent_timestamp, 0, name,
        )  # fmt: skip
        for index, loc in enumerate(self.locators[:8]):
            _LOCATOR.pack_into(
                raw, 576 + 24 * index, loc.code, loc.data_space, loc.data_length, 0,
                loc.data_offset,
            )  # fmt: skip
        struct.pack_into(">I", raw, 36, checksum(bytes(raw), 36))
        return bytes(raw)


def parse_dynamic_header(raw: bytes, *, subject: str, file_size: int) -> DynamicHeader:
    if len(raw) < HEADER_SIZE or raw[:8] != SPARSE_COOKIE:
        raise VhdError("VHD dynamic header cookie is not 'cxsparse'", subject=subject)
    fields = _HEADER.unpack_from(raw, 0)
    (_, _, table_offset, version, entries, block_size, stored, parent_uid) = fields[:8]
    (parent_stamp, _, name_raw) = fields[8:]
    if stored != checksum(raw[:HEADER_SIZE], 36):
        raise VhdError("VHD dynamic header checksum mismatch", subject=subject)
    if version >> 16 != 1:
        raise VhdError(f"VHD dynamic header version {version:#x} is not 1.x", subject=subject)
    if block_size < SECTOR or block_size & (block_size - 1) or block_size > 256 * 1024**2:
        raise VhdError(f"VHD dynamic header block size {block_size} is invalid", subject=subject)
    if table_offset % SECTOR or table_offset + 4 * entries > file_size:
        raise VhdError(
            "VHD dynamic header block allocation table lies outside the file", subject=subject
        )
    locators = []
    for index in range(8):
        code, space, length, _, offset = _LOCATOR.unpack_from(raw, 576 + 24 * index)
        if code == b"\0\0\0\0":
            continue
        if length > 64 * 1024 or offset + length > file_size:
            raise VhdError(f"VHD parent locator {index + 1} lies outside the file", subject=subject)
        locators.append(Locator(code, space, length, offset))
    name = name_raw.decode("utf-16-be", errors="replace").split("\0", 1)[0]
    return DynamicHeader(
        table_offset=table_offset,
        max_table_entries=entries,
        block_size=block_size,
        parent_unique_id=uuid.UUID(bytes=parent_uid),
        parent_timestamp=parent_stamp,
        parent_name=name,
        locators=tuple(locators),
    )


def bitmap_size(block_size: int) -> int:
    """Bytes of the sector bitmap in front of each block, padded to whole sectors."""
    return -(-(block_size // SECTOR // 8) // SECTOR) * SECTOR
