"""VHDX structures ([MS-VHDX] 2.1-2.6): file identifier, the two headers (CRC-32C), the region
table, the metadata table and its known items, the parent locator, BAT entry states.
Everything is little-endian; GUIDs are stored in Microsoft's mixed-endian layout."""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.sizes import KiB, MiB, TiB

SIGNATURE = b"vhdxfile"
HEADER_OFFSETS = (64 * KiB, 128 * KiB)
REGION_OFFSETS = (192 * KiB, 256 * KiB)
HEADER_SIZE = 4 * KiB
REGION_SIZE = 64 * KiB
MAX_ENTRIES = 2047
MAX_SIZE = 64 * TiB
CREATOR = "wincloud"

BAT_REGION = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
VIRTUAL_DISK_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
PAGE83_DATA = uuid.UUID("BECA12AB-B2E6-4523-93EF-C309E000C746")
LOGICAL_SECTOR_SIZE = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
PHYSICAL_SECTOR_SIZE = uuid.UUID("CDA348C7-445D-4471-9CC9-E9885251C556")
PARENT_LOCATOR = uuid.UUID("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")
VHDX_LOCATOR_TYPE = uuid.UUID("B04AEFB7-D19E-4A81-B789-25B8E9445913")
KNOWN_ITEMS = {
    FILE_PARAMETERS: "file parameters",
    VIRTUAL_DISK_SIZE: "virtual disk size",
    PAGE83_DATA: "page 83 data",
    LOGICAL_SECTOR_SIZE: "logical sector size",
    PHYSICAL_SECTOR_SIZE: "physical sector size",
    PARENT_LOCATOR: "parent locator",
}

# BAT entry states (2.5.1)
NOT_PRESENT, UNDEFINED, ZERO_STATE, UNMAPPED, FULLY_PRESENT, PARTIALLY_PRESENT = 0, 1, 2, 3, 6, 7
SB_PRESENT = 6
STATE_NAMES = {0: "not present", 1: "undefined", 2: "zero", 3: "unmapped", 6: "fully present",
               7: "partially present"}  # fmt: skip
SECTORS_PER_BITMAP = 1 << 23

_HEADER = struct.Struct("<4sIQ16s16s16sHHIQ")
_REGION_HEAD = struct.Struct("<4sIII")
_REGION_ENTRY = struct.Struct("<16sQII")
_META_HEAD = struct.Struct("<8sHH20x")
_META_ENTRY = struct.Struct("<16sIII4x")
_LOCATOR_HEAD = struct.Struct("<16sHH")
_LOCATOR_ENTRY = struct.Struct("<IIHH")


def guid(raw: bytes) -> uuid.UUID:
    return uuid.UUID(bytes_le=raw)


def file_identifier(creator: str = CREATOR) -> bytes:
    return (SIGNATURE + creator.encode("utf-16-le")[:512]).ljust(64 * KiB, b"\0")


@dataclass(frozen=True)
class Header:
    sequence: int
    file_write_guid: uuid.UUID
    data_write_guid: uuid.UUID
    log_guid: uuid.UUID
    log_length: int
    log_offset: int
    log_version: int = 0
    version: int = 1

    def pack(self) -> bytes:
        raw = bytearray(HEADER_SIZE)
        _HEADER.pack_into(
            raw, 0, b"head", 0, self.sequence, self.file_write_guid.bytes_le,
            self.data_write_guid.bytes_le, self.log_guid.bytes_le, self.log_version,
            self.version, self.log_length, self.log_offset,
        )  # fmt: skip
        struct.pack_into("<I", raw, 4, crc32c(raw))
        return bytes(raw)


def parse_header(raw: bytes, number: int) -> Header | str:
    """The header, or a message saying why header ``number`` (1 or 2) is unusable."""
    name = f"VHDX header {number}"
    if raw[:4] != b"head":
        return f"{name} signature is not 'head'"
    fields = _HEADER.unpack_from(raw, 0)
    check = bytearray(raw[:HEADER_SIZE])
    check[4:8] = b"\0\0\0\0"
    if fields[1] != crc32c(check):
        return f"{name} checksum mismatch"
    header = Header(
        sequence=fields[2], file_write_guid=guid(fields[3]), data_write_guid=guid(fields[4]),
        log_guid=guid(fields[5]), log_version=fields[6], version=fields[7],
        log_length=fields[8], log_offset=fields[9],
    )  # fmt: skip
    if header.version != 1:
        return f"{name} version {header.version} is not 1"
    if header.log_offset % MiB or header.log_length % MiB or header.log_offset < MiB:
        return f"{name} log offset/length are not whole MiB past the first MiB"
    return header


@dataclass(frozen=True)
class Region:
    guid: uuid.UUID
    offset: int
    length: int
    required: bool


def pack_regions(regions: list[Region]) -> bytes:
    raw = bytearray(REGION_SIZE)
    _REGION_HEAD.pack_into(raw, 0, b"regi", 0, len(regions), 0)
    for index, region in enumerate(regions):
        _REGION_ENTRY.pack_into(
            raw, 16 + 32 * index, region.guid.bytes_le, region.offset, region.length,
            int(region.required),
        )  # fmt: skip
    struct.pack_into("<I", raw, 4, crc32c(raw))
    return bytes(raw)


def parse_regions(raw: bytes, number: int, file_size: int) -> dict[uuid.UUID, Region] | str:
    name = f"VHDX region table {number}"
    if raw[:4] != b"regi":
        return f"{name} signature is not 'regi'"
    _, stored, count, _ = _REGION_HEAD.unpack_from(raw, 0)
    check = bytearray(raw[:REGION_SIZE])
    check[4:8] = b"\0\0\0\0"
    if stored != crc32c(check):
        return f"{name} checksum mismatch"
    if count > MAX_ENTRIES:
        return f"{name} entry count {count} exceeds {MAX_ENTRIES}"
    regions: dict[uuid.UUID, Region] = {}
    for index in range(count):
        raw_guid, offset, length, flags = _REGION_ENTRY.unpack_from(raw, 16 + 32 * index)
        region = Region(guid(raw_guid), offset, length, bool(flags & 1))
        if region.guid not in (BAT_REGION, METADATA_REGION):
            if region.required:
                return f"{name} entry {index} is a required region this reader does not know"
            continue
        if offset % MiB or length % MiB or offset < MiB or length == 0:
            return f"{name} entry {index} offset/length are not whole MiB past the first MiB"
        if offset + length > file_size:
            return f"{name} entry {index} lies beyond the end of the file"
        regions[region.guid] = region
    for wanted, label in ((BAT_REGION, "BAT"), (METADATA_REGION, "metadata")):
        if wanted not in regions:
            return f"{name} has no {label} region"
    return regions


@dataclass(frozen=True)
class MetadataEntry:
    item: uuid.UUID
    offset: int
    length: int
    is_user: bool
    is_virtual_disk: bool
    is_required: bool


def pack_metadata(items: list[tuple[uuid.UUID, bytes, bool, bool]]) -> bytes:
    """The metadata region: table then items (id, value, is_virtual_disk, is_required)."""
    table = bytearray(64 * KiB)
    values = bytearray()
    _META_HEAD.pack_into(table, 0, b"metadata", 0, len(items))
    for index, (item, value, virtual_disk, required) in enumerate(items):
        flags = (int(virtual_disk) << 1) | (int(required) << 2)
        offset = 64 * KiB + len(values)
        _META_ENTRY.pack_into(table, 32 + 32 * index, item.bytes_le, offset, len(value), flags)
        values += value + bytes(-len(value) % 8)
    return bytes(table + values)


def parse_metadata_table(raw: bytes, region_length: int) -> list[MetadataEntry]:
    if raw[:8] != b"metadata":
        raise VhdError("VHDX metadata table signature is not 'metadata'")
    _, _, count = _META_HEAD.unpack_from(raw, 0)
    if count > MAX_ENTRIES:
        raise VhdError(f"VHDX metadata table entry count {count} exceeds {MAX_ENTRIES}")
    entries = []
    for index in range(count):
        raw_guid, offset, length, flags = _META_ENTRY.unpack_from(raw, 32 + 32 * index)
        entry = MetadataEntry(
            guid(raw_guid), offset, length, bool(flags & 1), bool(flags & 2), bool(flags & 4)
        )
        if length and (offset < 64 * KiB or offset + length > region_length or length > MiB):
            raise VhdError(f"VHDX metadata entry {index} lies outside the metadata region")
        if entry.item not in KNOWN_ITEMS and entry.is_required:
            raise VhdError(f"VHDX metadata entry {entry.item} is required but unknown")
        entries.append(entry)
    return entries


def pack_locator(entries: list[tuple[str, str]]) -> bytes:
    head = bytearray(_LOCATOR_HEAD.pack(VHDX_LOCATOR_TYPE.bytes_le, 0, len(entries)))
    table = bytearray()
    strings = bytearray()
    base = _LOCATOR_HEAD.size + _LOCATOR_ENTRY.size * len(entries)
    for key, value in entries:
        raw_key, raw_value = key.encode("utf-16-le"), value.encode("utf-16-le")
        key_at = base + len(strings)
        strings += raw_key
        value_at = base + len(strings)
        strings += raw_value
        table += _LOCATOR_ENTRY.pack(key_at, value_at, len(raw_key), len(raw_value))
    return bytes(head + table + strings)


def parse_locator(raw: bytes) -> list[tuple[str, str]]:
    if len(raw) < _LOCATOR_HEAD.size:
        raise VhdError("VHDX parent locator is shorter than its header")
    locator_type, _, count = _LOCATOR_HEAD.unpack_from(raw, 0)
    if guid(locator_type) != VHDX_LOCATOR_TYPE:
        raise VhdError(f"VHDX parent locator type {guid(locator_type)} is not the VHDX type")
    if _LOCATOR_HEAD.size + count * _LOCATOR_ENTRY.size > len(raw):
        raise VhdError(f"VHDX parent locator key/value count {count} overruns the item")
    pairs = []
    for index in range(count):
        at = _LOCATOR_HEAD.size + index * _LOCATOR_ENTRY.size
        key_at, value_at, key_len, value_len = _LOCATOR_ENTRY.unpack_from(raw, at)
        if key_at + key_len > len(raw) or value_at + value_len > len(raw):
            raise VhdError(f"VHDX parent locator entry {index} points outside the item")
        key = raw[key_at : key_at + key_len].decode("utf-16-le", errors="replace")
        value = raw[value_at : value_at + value_len].decode("utf-16-le", errors="replace")
        pairs.append((key, value))
    return pairs


def linkage_text(value: uuid.UUID) -> str:
    """A GUID as parent_linkage holds it: braces, lower case (MS-VHDX 2.6.2.6.3)."""
    return "{" + str(value) + "}"


def parse_linkage(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip().strip("{}"))
    except ValueError:
        return None


def chunk_ratio(block_size: int, logical_sector_size: int) -> int:
    return (SECTORS_PER_BITMAP * logical_sector_size) // block_size


def bat_entries(virtual_size: int, block_size: int, logical_sector_size: int) -> int:
    """BAT entries for a disk: whole chunks (payload entries plus one bitmap entry each)."""
    ratio = chunk_ratio(block_size, logical_sector_size)
    blocks = -(-virtual_size // block_size)
    chunks = max(1, -(-blocks // ratio))
    return chunks * (ratio + 1)


def required_entries(
    virtual_size: int, block_size: int, logical_sector_size: int, diff: bool
) -> int:
    """The minimum BAT length the specification requires (2.5)."""
    ratio = chunk_ratio(block_size, logical_sector_size)
    blocks = -(-virtual_size // block_size)
    if diff:
        return -(-blocks // ratio) * (ratio + 1)
    return blocks + (blocks - 1) // ratio
