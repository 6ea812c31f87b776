"""Fixed, dynamic and differencing VHD files: open, create, read, write, grow."""

from __future__ import annotations

import os
import sys
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from wincloud.hyperv.vhd import vhd_format as fmt
from wincloud.hyperv.vhd.bits import bitmap_segments, set_bits
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.image import PARENT, ZERO, Buffer, DiskImage, open_fd
from wincloud.hyperv.vhd.sizes import MiB, round_up

DEFAULT_BLOCK = 2 * MiB
_SECTOR = fmt.SECTOR


@dataclass(frozen=True)
class VhdParent:
    """What a differencing VHD records about its parent."""

    unique_id: uuid.UUID
    timestamp: int
    relative_path: str  # Windows form, e.g. ".\\base.vhd"
    absolute_path: str = ""  # Windows form, e.g. "C:\\images\\base.vhd"


class VhdImage(DiskImage):
    format = "vhd"

    def __init__(self, path: Path, fd: int, *, writable: bool) -> None:
        super().__init__(path, fd, writable=writable)
        self.footer: fmt.Footer = fmt.Footer(0, 0, 0, 0, uuid.UUID(int=0))
        self.header: fmt.DynamicHeader | None = None
        self._bat = array("I")
        self._next = 0
        self._dirty = False
        self._bitmap_bytes = 0
        self.notes: list[str] = []

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> VhdImage:
        image = cls(path, open_fd(path, writable=writable), writable=writable)
        try:
            image._load()
        except BaseException:
            os.close(image._fd)
            raise
        return image

    def _load(self) -> None:
        subject, size = str(self.path), self.file_size()
        if size < fmt.FOOTER_SIZE:
            raise VhdError("the file is too small to hold a VHD footer", subject=subject)
        try:
            self.footer = fmt.parse_footer(
                self.pread(size - 512, 512, "VHD footer"), subject=subject
            )
        except VhdError as exc:
            copy = self.pread(0, 512, "VHD footer copy")
            if copy[:8] != fmt.COOKIE:
                raise
            self.footer = fmt.parse_footer(copy, subject=subject, where="footer copy")
            self.notes.append(f"{exc.message}; the copy at offset 0 was used")
        footer = self.footer
        self.kind = fmt.KINDS[footer.disk_type]
        self.virtual_size = footer.current_size
        self._next = size - 512
        if footer.disk_type == fmt.FIXED:
            if size < footer.current_size + 512:
                raise VhdError("VHD fixed disk is shorter than its current size", subject=subject)
            return
        if footer.data_offset % _SECTOR or footer.data_offset + fmt.HEADER_SIZE > size:
            raise VhdError("VHD footer data offset lies outside the file", subject=subject)
        raw = self.pread(footer.data_offset, fmt.HEADER_SIZE, "VHD dynamic header")
        header = fmt.parse_dynamic_header(raw, subject=subject, file_size=size)
        needed = -(-footer.current_size // header.block_size)
        if header.max_table_entries < needed:
            raise VhdError(
                f"VHD dynamic header max table entries {header.max_table_entries} is below the "
                f"{needed} blocks of the disk",
                subject=subject,
            )
        self.header = header
        self.block_size = header.block_size
        self._bitmap_bytes = fmt.bitmap_size(header.block_size)
        self._bat = _load_bat(self.pread(header.table_offset, 4 * needed, "VHD BAT"))

    # -- creating -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        size: int,
        *,
        kind: str = "dynamic",
        block_size: int = DEFAULT_BLOCK,
        parent: VhdParent | None = None,
    ) -> VhdImage:
        """A new empty VHD at ``path`` (which must not exist), open for writing."""
        _check_new(path, size, block_size, kind, parent)
        image = cls(path, open_fd(path, writable=True, create=True), writable=True)
        disk_type = {"fixed": fmt.FIXED, "dynamic": fmt.DYNAMIC}.get(kind, fmt.DIFFERENCING)
        image.footer = fmt.Footer(
            disk_type=disk_type,
            current_size=size,
            original_size=size,
            data_offset=fmt.NO_OFFSET if kind == "fixed" else 512,
            unique_id=uuid.uuid4(),
            timestamp=fmt.timestamp(),
            geometry=fmt.geometry(size),
        )
        image.kind, image.virtual_size = kind, size
        if kind == "fixed":
            os.ftruncate(image._fd, size)
            image._next, image._dirty = size, True
            image.flush()
            return image
        entries = -(-size // block_size)
        table_bytes = round_up(entries * 4, _SECTOR)
        position = 512 + fmt.HEADER_SIZE + table_bytes
        locators, blobs = [], []
        if parent is not None:
            for code, text in ((fmt.W2RU, parent.relative_path), (fmt.W2KU, parent.absolute_path)):
                if text:
                    blob = text.encode("utf-16-le")
                    space = round_up(len(blob), _SECTOR)
                    locators.append(fmt.Locator(code, space, len(blob), position))
                    blobs.append((position, blob.ljust(space, b"\0")))
                    position += space
        image.header = fmt.DynamicHeader(
            table_offset=512 + fmt.HEADER_SIZE,
            max_table_entries=entries,
            block_size=block_size,
            parent_unique_id=parent.unique_id if parent else uuid.UUID(int=0),
            parent_timestamp=parent.timestamp if parent else 0,
            parent_name=(parent.absolute_path or parent.relative_path) if parent else "",
            locators=tuple(locators),
        )
        image.block_size = block_size
        image._bitmap_bytes = fmt.bitmap_size(block_size)
        image._bat = array("I", [fmt.UNUSED]) * entries
        for offset, blob in blobs:
            image.pwrite(offset, blob)
        image._next, image._dirty = position, True
        image.flush()
        return image

    # -- mapping, reading, writing --------------------------------------------------------------

    def _segments(self, offset: int, length: int) -> Iterator[tuple[int, int]]:
        if self.header is None:
            yield length, offset
            return
        block_size, absent = self.block_size, PARENT if self.kind == "differencing" else ZERO
        position, end = offset, offset + length
        while position < end:
            block, within = divmod(position, block_size)
            count = min(block_size - within, end - position)
            entry = self._bat[block]
            if entry == fmt.UNUSED:
                yield count, absent
            elif self.kind == "differencing":
                start = entry * _SECTOR
                bitmap = self.pread(start, self._bitmap_bytes, f"VHD block {block} bitmap")
                yield from bitmap_segments(
                    bitmap, within, count, sector=_SECTOR, msb_first=True,
                    data_start=start + self._bitmap_bytes, absent=PARENT,
                )  # fmt: skip
            else:
                yield count, entry * _SECTOR + self._bitmap_bytes + within
            position += count

    def _write_piece(self, offset: int, data: Buffer) -> None:
        if self.header is None:
            self.pwrite(offset, data)
            return
        block, within = divmod(offset, self.block_size)
        entry = self._bat[block]
        if entry == fmt.UNUSED:
            entry = self._allocate(block)
        start = entry * _SECTOR
        if self.kind == "differencing":
            bitmap = bytearray(self.pread(start, self._bitmap_bytes, f"VHD block {block} bitmap"))
            before = bytes(bitmap)
            set_bits(bitmap, within // _SECTOR, len(data) // _SECTOR, msb_first=True)
            if bitmap != before:
                self.pwrite(start, bytes(bitmap))
        self.pwrite(start + self._bitmap_bytes + within, data)

    def _allocate(self, block: int) -> int:
        at = self._next
        fill = b"\0" if self.kind == "differencing" else b"\xff"
        self.pwrite(at, fill * self._bitmap_bytes)  # also covers the old footer
        os.ftruncate(self._fd, max(self.file_size(), at + self._bitmap_bytes + self.block_size))
        self._bat[block] = at // _SECTOR
        self._next = at + self._bitmap_bytes + self.block_size
        self._dirty = True
        return at // _SECTOR

    def flush(self) -> None:
        if not self._dirty:
            return
        footer = self.footer.pack()
        if self.header is not None:
            self.pwrite(0, footer)
            self.pwrite(self.footer.data_offset, self.header.pack())
            self.pwrite(self.header.table_offset, _dump_bat(self._bat, self.header))
        self.pwrite(self._next, footer)
        os.ftruncate(self._fd, self._next + 512)
        self._dirty = False

    def resize(self, size: int) -> None:
        """Set the virtual size (the caller checked that a shrink loses nothing)."""
        if size <= 0 or size % _SECTOR or size > fmt.MAX_SIZE:
            raise VhdError(f"VHD size {size} is not usable", subject=str(self.path))
        self.footer = self.footer.resized(size)
        self.virtual_size, self._dirty = size, True
        if self.header is None:
            self.pwrite(self._next, bytes(512))
            os.ftruncate(self._fd, size)
            self._next = size
            return
        entries = -(-size // self.block_size)
        if entries > len(self._bat):
            self._bat.extend([fmt.UNUSED] * (entries - len(self._bat)))
        room = round_up(self.header.max_table_entries * 4, _SECTOR) // 4
        if entries > room:  # move the table to the end of the file
            at, table_bytes = self._next, round_up(entries * 4, _SECTOR)
            self._next = at + table_bytes
            self.header = replace(self.header, table_offset=at, max_table_entries=entries)
        elif entries > self.header.max_table_entries:
            self.header = replace(self.header, max_table_entries=entries)

    # -- inspection -----------------------------------------------------------------------------

    def describe(self) -> dict[str, object]:
        footer, header = self.footer, self.header
        out: dict[str, object] = {
            "unique_id": str(footer.unique_id),
            "creator": footer.creator_app.decode("latin-1").strip("\0 "),
            "geometry_chs": list(footer.geometry),
            "allocated_blocks": sum(1 for entry in self._bat if entry != fmt.UNUSED),
        }
        if header is not None and self.kind == "differencing":
            out["parent_unique_id"] = str(header.parent_unique_id)
            out["parent_name"] = header.parent_name
            out["parent_locator"] = dict(self.parent_locations())
        return out

    def parent_locations(self) -> list[tuple[str, str]]:
        """(key, Windows path) in the order a reader tries them."""
        if self.header is None:
            return []
        found: list[tuple[str, str]] = []
        for code in (fmt.W2RU, fmt.W2KU):
            for loc in self.header.locators:
                if loc.code == code and loc.data_length:
                    raw = self.pread(loc.data_offset, loc.data_length, "VHD parent locator")
                    key = "relative_path" if code == fmt.W2RU else "absolute_win32_path"
                    found.append((key, raw.decode("utf-16-le", errors="replace").rstrip("\0")))
        if self.header.parent_name:
            found.append(("parent_name", self.header.parent_name))
        return found

    def linkage_problem(self, parent: DiskImage) -> str | None:
        if self.header is None:
            return None
        if not isinstance(parent, VhdImage):
            return f"the parent is a {parent.format.upper()} file; a VHD's parent must be a VHD"
        if parent.footer.unique_id != self.header.parent_unique_id:
            return (
                f"parent unique id {parent.footer.unique_id} does not match the child's "
                f"parent_unique_id {self.header.parent_unique_id}"
            )
        return None

    def problems(self) -> list[str]:
        found = list(self.notes)
        if self.header is None:
            return found
        if self.pread(0, 512, "VHD footer copy") != self.footer.pack():
            found.append("VHD footer copy at offset 0 differs from the footer at the end")
        span = self._bitmap_bytes + self.block_size
        starts = sorted(e * _SECTOR for e in self._bat if e != fmt.UNUSED)
        header = self.header
        fixed_spans = [
            (0, 512),
            (self.footer.data_offset, self.footer.data_offset + fmt.HEADER_SIZE),
            (header.table_offset, header.table_offset + 4 * header.max_table_entries),
        ]
        for index, start in enumerate(starts):
            if any(start < end and begin < start + span for begin, end in fixed_spans):
                found.append(f"VHD block at offset {start} overlaps the header or the BAT")
            if start + span > self._next:
                found.append(f"VHD block at offset {start} runs past the footer")
            if index and starts[index - 1] + span > start:
                found.append(f"VHD blocks at offsets {starts[index - 1]} and {start} overlap")
        return found


def _load_bat(raw: bytes) -> array[int]:
    table = array("I", raw)
    if sys.byteorder == "little":
        table.byteswap()
    return table


def _dump_bat(table: array[int], header: fmt.DynamicHeader) -> bytes:
    out = array("I", table)
    out.extend([fmt.UNUSED] * (header.max_table_entries - len(out)))
    if sys.byteorder == "little":
        out.byteswap()
    raw = out.tobytes()
    return raw + b"\xff" * (round_up(len(raw), _SECTOR) - len(raw))


def _check_new(path: Path, size: int, block: int, kind: str, parent: VhdParent | None) -> None:
    subject = str(path)
    if kind not in ("fixed", "dynamic", "differencing"):
        raise VhdError(f"unknown VHD type {kind!r}", subject=subject)
    if (kind == "differencing") != (parent is not None):
        raise VhdError("a differencing VHD needs a parent, and only it", subject=subject)
    if size <= 0 or size % _SECTOR or size > fmt.MAX_SIZE:
        raise VhdError(
            f"VHD size {size} must be a positive multiple of 512 up to 2040 GiB", subject=subject
        )
    if block < _SECTOR * 8 or block & (block - 1) or block > 256 * MiB:
        raise VhdError(f"VHD block size {block} must be a power of two", subject=subject)
