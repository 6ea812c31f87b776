"""New VHDX files (fixed, dynamic, differencing) and resizing existing ones.

Layout of a new file: file identifier, two headers, two region tables in the first MiB; an
empty 1 MiB log; the 1 MiB metadata region; the BAT (whole chunks, rounded to MiB); then
payload and sector bitmap blocks, each 1 MiB-aligned.
"""

from __future__ import annotations

import os
import struct
import uuid
from array import array
from dataclasses import dataclass, replace
from pathlib import Path

from wincloud.hyperv.vhd import vhdx_format as fmt
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.image import open_fd
from wincloud.hyperv.vhd.sizes import MiB, round_up
from wincloud.hyperv.vhd.vhdx_image import VhdxImage

DEFAULT_BLOCK = 32 * MiB  # Hyper-V's default for dynamic disks
DEFAULT_DIFF_BLOCK = 2 * MiB  # and for differencing disks
LOG_OFFSET, METADATA_OFFSET, BAT_OFFSET = MiB, 2 * MiB, 3 * MiB


@dataclass(frozen=True)
class VhdxParent:
    """What a differencing VHDX's parent locator records."""

    data_write_guid: uuid.UUID
    relative_path: str  # Windows form: "base.vhdx" or "..\\cache\\base.vhdx"
    absolute_win32_path: str = ""  # e.g. "C:\\ClusterStorage\\cache\\base.vhdx"
    volume_path: str = ""


def _locator(parent: VhdxParent) -> bytes:
    pairs = [("parent_linkage", fmt.linkage_text(parent.data_write_guid))]
    for key, value in (
        ("relative_path", parent.relative_path),
        ("volume_path", parent.volume_path),
        ("absolute_win32_path", parent.absolute_win32_path),
    ):
        if value:
            pairs.append((key, value))
    return fmt.pack_locator(pairs)


def _metadata(
    size: int, block: int, lss: int, pss: int, fixed: bool, parent: VhdxParent | None
) -> bytes:
    flags = int(fixed) | (int(parent is not None) << 1)
    items = [
        (fmt.FILE_PARAMETERS, struct.pack("<II", block, flags), False, True),
        (fmt.VIRTUAL_DISK_SIZE, struct.pack("<Q", size), True, True),
        (fmt.PAGE83_DATA, uuid.uuid4().bytes_le, True, True),
        (fmt.LOGICAL_SECTOR_SIZE, struct.pack("<I", lss), True, True),
        (fmt.PHYSICAL_SECTOR_SIZE, struct.pack("<I", pss), True, True),
    ]
    if parent is not None:
        items.append((fmt.PARENT_LOCATOR, _locator(parent), False, True))
    raw = fmt.pack_metadata(items)
    if len(raw) > MiB:
        raise VhdError("VHDX parent locator paths are too long for the metadata region")
    return raw


def create_vhdx(
    path: Path,
    size: int,
    *,
    fixed: bool = False,
    block_size: int | None = None,
    logical_sector_size: int = 512,
    physical_sector_size: int = 4096,
    parent: VhdxParent | None = None,
) -> VhdxImage:
    """A new empty VHDX at ``path`` (which must not exist), open for writing."""
    subject = str(path)
    if fixed and parent is not None:
        raise VhdError("a fixed VHDX cannot have a parent", subject=subject)
    block = block_size or (DEFAULT_DIFF_BLOCK if parent else DEFAULT_BLOCK)
    lss, pss = logical_sector_size, physical_sector_size
    if block < MiB or block > 256 * MiB or block & (block - 1):
        raise VhdError(
            f"VHDX block size {block} must be a power of two, 1-256 MiB", subject=subject
        )
    if lss not in (512, 4096) or pss not in (512, 4096):
        raise VhdError("VHDX sector sizes must be 512 or 4096", subject=subject)
    if size <= 0 or size % lss or size > fmt.MAX_SIZE:
        raise VhdError(
            f"VHDX size {size} must be a positive multiple of {lss} up to 64 TiB", subject=subject
        )
    metadata = _metadata(size, block, lss, pss, fixed, parent)
    entries = fmt.bat_entries(size, block, lss)
    bat_length = round_up(entries * 8, MiB)
    regions = [
        fmt.Region(fmt.BAT_REGION, BAT_OFFSET, bat_length, True),
        fmt.Region(fmt.METADATA_REGION, METADATA_OFFSET, MiB, True),
    ]
    guid = uuid.uuid4()
    header = fmt.Header(1, guid, uuid.uuid4(), uuid.UUID(int=0), MiB, LOG_OFFSET)
    image = VhdxImage(path, open_fd(path, writable=True, create=True), writable=True)
    try:
        image.pwrite(0, fmt.file_identifier())
        image.pwrite(fmt.HEADER_OFFSETS[0], header.pack())
        image.pwrite(fmt.HEADER_OFFSETS[1], replace(header, sequence=2).pack())
        table = fmt.pack_regions(regions)
        for offset in fmt.REGION_OFFSETS:
            image.pwrite(offset, table)
        image.pwrite(METADATA_OFFSET, metadata)
        bat = array("Q", bytes(entries * 8))
        eof = BAT_OFFSET + bat_length
        if fixed:
            ratio = fmt.chunk_ratio(block, lss)
            for index in range(-(-size // block)):
                bat[index + index // ratio] = (eof + index * block) | fmt.FULLY_PRESENT
            eof += -(-size // block) * block
        image.pwrite(BAT_OFFSET, bat.tobytes())
        os.ftruncate(image._fd, eof)
        os.close(image._fd)
    except BaseException:
        os.close(image._fd)
        path.unlink(missing_ok=True)
        raise
    created = VhdxImage.open(path, writable=True)
    created._session = True  # the GUIDs are new already
    return created


def resize_vhdx(image: VhdxImage, size: int) -> None:
    """Set the virtual size; grows the BAT (moving it to the end of the file if needed)."""
    subject = str(image.path)
    lss, block = image.logical_sector_size, image.block_size
    if size <= 0 or size % lss or size > fmt.MAX_SIZE:
        raise VhdError(f"VHDX size {size} must be a positive multiple of {lss}", subject=subject)
    image.begin_session()
    entries = fmt.bat_entries(size, block, lss)
    region = image.regions[fmt.BAT_REGION]
    if entries > len(image.bat):
        image.bat.extend([0] * (entries - len(image.bat)))
    if entries * 8 > region.length:
        moved = fmt.Region(fmt.BAT_REGION, image.eof, round_up(entries * 8, MiB), True)
        image.allocate(moved.length)
        image.regions[fmt.BAT_REGION] = moved
        table = fmt.pack_regions(list(image.regions.values()))
        image.pwrite(moved.offset, image.bat.tobytes())
        os.fsync(image._fd)
        for offset in fmt.REGION_OFFSETS:
            image.pwrite(offset, table)
    blocks = -(-size // block)
    old_blocks = -(-image.virtual_size // block)
    for index in range(blocks, old_blocks):  # a shrink forgets the tail blocks
        image.bat[index + index // image.ratio] = fmt.NOT_PRESENT
    if image.kind == "fixed":
        for index in range(old_blocks, blocks):
            image.bat[index + index // image.ratio] = image.allocate(block) | fmt.FULLY_PRESENT
    image._bat_dirty = True
    meta = image.regions[fmt.METADATA_REGION]
    for entry in image.metadata:
        if entry.item == fmt.VIRTUAL_DISK_SIZE:
            image.pwrite(meta.offset + entry.offset, struct.pack("<Q", size))
    image.virtual_size = size
    image.flush()
