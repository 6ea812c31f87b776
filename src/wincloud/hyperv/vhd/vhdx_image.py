"""Fixed, dynamic and differencing VHDX files: open, read, write (see vhdx_create for new files).

Writes rotate the header once per session (new FileWriteGuid and DataWriteGuid, empty log),
allocate payload blocks at the 1 MiB-aligned end of the file and keep the BAT in memory until
``flush``. Differencing disks mark written sectors in the chunk's sector bitmap block.
"""

from __future__ import annotations

import itertools
import os
import struct
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from wincloud.hyperv.vhd import vhdx_format as fmt
from wincloud.hyperv.vhd.bits import all_set, bitmap_segments, set_bits
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.fileio import read_at
from wincloud.hyperv.vhd.image import PARENT, ZERO, Buffer, DiskImage, open_fd
from wincloud.hyperv.vhd.sizes import MiB, round_up
from wincloud.hyperv.vhd.vhdx_log import SECTOR as LOG_SECTOR
from wincloud.hyperv.vhd.vhdx_log import apply, pending_entries, refuse_pending, replay

_NIL = uuid.UUID(int=0)


class VhdxImage(DiskImage):
    format = "vhdx"

    def __init__(self, path: Path, fd: int, *, writable: bool) -> None:
        super().__init__(path, fd, writable=writable)
        self.header = fmt.Header(0, _NIL, _NIL, _NIL, MiB, MiB)
        self.header_slot = 0
        self.regions: dict[uuid.UUID, fmt.Region] = {}
        self.metadata: list[fmt.MetadataEntry] = []
        self.locator: list[tuple[str, str]] = []
        self.disk_id = _NIL
        self.creator = ""
        self.leave_allocated = False
        self.ratio = 1
        self.bat = array("Q")
        self.notes: list[str] = []
        self.eof = 0
        self._session = False
        self._bat_dirty = False
        self._overlay: dict[int, bytes] = {}  # file sectors replayed from the log (read-only)

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> VhdxImage:
        image = cls(path, open_fd(path, writable=writable), writable=writable)
        try:
            image._load()
        except VhdError as exc:
            os.close(image._fd)
            exc.subject = exc.subject or str(path)
            raise
        except BaseException:
            os.close(image._fd)
            raise
        return image

    def _load(self) -> None:
        subject, size = str(self.path), self.file_size()
        if size < MiB or self.pread(0, 8, "VHDX file identifier") != fmt.SIGNATURE:
            raise VhdError("VHDX file identifier signature is not 'vhdxfile'", subject=subject)
        self.creator = self.pread(8, 512, "creator").decode("utf-16-le", "replace").split("\0")[0]
        self._load_header()
        log = (self.header.log_guid, self.header.log_offset, self.header.log_length)
        count = pending_entries(*log, lambda at, n: self.pread(at, n, "log"), subject=subject)
        if count:
            if self.writable:
                refuse_pending(count, subject=subject)
            try:
                self._overlay = replay(*log, lambda at, n: self.pread(at, n, "VHDX log"))
            except VhdError as exc:
                raise VhdError(exc.message, subject=subject) from None
            self.notes.append(
                f"VHDX log holds {count} entries that were never replayed (replayed in memory "
                "for reading; the file is unchanged)"
            )
        self._load_regions(size)
        self._load_metadata()
        self._load_bat()
        self.eof = round_up(size, MiB)

    def _load_header(self) -> None:
        found: list[tuple[int, fmt.Header]] = []
        for slot, offset in enumerate(fmt.HEADER_OFFSETS):
            parsed = fmt.parse_header(self.pread(offset, fmt.HEADER_SIZE, "header"), slot + 1)
            if isinstance(parsed, str):
                self.notes.append(parsed)
            else:
                found.append((slot, parsed))
        if not found:
            raise VhdError("; ".join(self.notes), subject=str(self.path))
        self.header_slot, self.header = max(found, key=lambda pair: pair[1].sequence)
        if self.header.log_offset + self.header.log_length > self.file_size():
            raise VhdError(
                "VHDX log region lies beyond the end of the file", subject=str(self.path)
            )

    def _load_regions(self, size: int) -> None:
        problems = []
        for number, offset in enumerate(fmt.REGION_OFFSETS, start=1):
            parsed = fmt.parse_regions(self.pread(offset, fmt.REGION_SIZE, "region"), number, size)
            if isinstance(parsed, str):
                problems.append(parsed)
                continue
            self.regions = parsed
            self.notes.extend(problems)
            return
        raise VhdError("; ".join(problems), subject=str(self.path))

    def _item(self, item: uuid.UUID) -> bytes | None:
        region = self.regions[fmt.METADATA_REGION]
        for entry in self.metadata:
            if entry.item == item:
                return self.pread(region.offset + entry.offset, entry.length, "metadata item")
        return None

    def _load_metadata(self) -> None:
        subject, region = str(self.path), self.regions[fmt.METADATA_REGION]
        table = self.pread(region.offset, 64 * 1024, "VHDX metadata table")
        try:
            self.metadata = fmt.parse_metadata_table(table, region.length)
        except VhdError as exc:
            raise VhdError(exc.message, subject=subject) from None
        values = {}
        for item, name, length in (
            (fmt.FILE_PARAMETERS, "file parameters", 8),
            (fmt.VIRTUAL_DISK_SIZE, "virtual disk size", 8),
            (fmt.LOGICAL_SECTOR_SIZE, "logical sector size", 4),
            (fmt.PHYSICAL_SECTOR_SIZE, "physical sector size", 4),
            (fmt.PAGE83_DATA, "page 83 data", 16),
        ):
            raw = self._item(item)
            if raw is None or len(raw) < length:
                raise VhdError(f"VHDX metadata has no usable {name} item", subject=subject)
            values[item] = raw
        block_size, flags = struct.unpack_from("<II", values[fmt.FILE_PARAMETERS])
        (vsize,) = struct.unpack_from("<Q", values[fmt.VIRTUAL_DISK_SIZE])
        (lss,) = struct.unpack_from("<I", values[fmt.LOGICAL_SECTOR_SIZE])
        (pss,) = struct.unpack_from("<I", values[fmt.PHYSICAL_SECTOR_SIZE])
        if block_size < MiB or block_size > 256 * MiB or block_size & (block_size - 1):
            raise VhdError(
                f"VHDX file parameters block size {block_size} is invalid", subject=subject
            )
        if lss not in (512, 4096) or pss not in (512, 4096):
            raise VhdError(f"VHDX sector sizes {lss}/{pss} are not 512 or 4096", subject=subject)
        if vsize == 0 or vsize > fmt.MAX_SIZE or vsize % lss:
            raise VhdError(f"VHDX virtual disk size {vsize} is invalid", subject=subject)
        self.block_size, self.virtual_size = block_size, vsize
        self.logical_sector_size, self.physical_sector_size = lss, pss
        self.disk_id = uuid.UUID(bytes_le=values[fmt.PAGE83_DATA][:16])
        self.leave_allocated = bool(flags & 1)
        self.ratio = fmt.chunk_ratio(block_size, lss)
        if flags & 2:
            raw = self._item(fmt.PARENT_LOCATOR)
            if raw is None:
                raise VhdError("VHDX differencing disk has no parent locator item", subject=subject)
            try:
                self.locator = fmt.parse_locator(raw)
            except VhdError as exc:
                raise VhdError(exc.message, subject=subject) from None
            self.kind = "differencing"
        else:
            self.kind = "fixed" if self.leave_allocated else "dynamic"

    def _load_bat(self) -> None:
        region = self.regions[fmt.BAT_REGION]
        diff = self.kind == "differencing"
        lss, bs, vsize = self.logical_sector_size, self.block_size, self.virtual_size
        needed = fmt.required_entries(vsize, bs, lss, diff)
        if region.length < needed * 8:
            raise VhdError(
                f"VHDX BAT region holds {region.length // 8} entries; the disk needs {needed}",
                subject=str(self.path),
            )
        count = min(region.length // 8, fmt.bat_entries(vsize, bs, lss))
        self.bat = array("Q", self.pread(region.offset, count * 8, "VHDX BAT"))
        if struct.pack("=H", 1) != struct.pack("<H", 1):  # pragma: no cover - big-endian hosts
            self.bat.byteswap()

    # -- mapping and reading --------------------------------------------------------------------

    def pread(self, offset: int, length: int, what: str) -> bytes:
        if not self._overlay:
            return super().pread(offset, length, what)
        size = max(self.file_size(), max(self._overlay) + LOG_SECTOR)
        if offset < 0 or offset + length > size:
            raise VhdError(f"{what} lies beyond the end of the file", subject=str(self.path))
        data = read_at(self._fd, length, offset)
        return apply(self._overlay, offset, data + bytes(length - len(data)))

    def _payload_index(self, block: int) -> int:
        return block + block // self.ratio

    def _bitmap_at(self, block: int) -> tuple[int, int]:
        """(file offset, length) of the sector bitmap bytes describing ``block``."""
        chunk = block // self.ratio
        index = chunk * (self.ratio + 1) + self.ratio
        entry = self.bat[index] if index < len(self.bat) else 0
        if entry & 7 != fmt.SB_PRESENT:
            raise VhdError(
                f"VHDX sector bitmap block {chunk} is not present for a partial block",
                subject=str(self.path),
            )
        per_block = self.block_size // self.logical_sector_size // 8
        return (entry >> 20) * MiB + (block % self.ratio) * per_block, per_block

    def _segments(self, offset: int, length: int) -> Iterator[tuple[int, int]]:
        bs, diff = self.block_size, self.kind == "differencing"
        position, end = offset, offset + length
        while position < end:
            block, within = divmod(position, bs)
            count = min(bs - within, end - position)
            entry = self.bat[self._payload_index(block)]
            state, at = entry & 7, (entry >> 20) * MiB
            if state in (fmt.FULLY_PRESENT, fmt.PARTIALLY_PRESENT) and at < MiB:
                raise VhdError(f"VHDX BAT entry for block {block} points into the file header")
            if state == fmt.FULLY_PRESENT:
                yield count, at + within
            elif state == fmt.PARTIALLY_PRESENT and diff:
                bitmap_at, bitmap_len = self._bitmap_at(block)
                bitmap = self.pread(bitmap_at, bitmap_len, f"VHDX sector bitmap of block {block}")
                yield from bitmap_segments(
                    bitmap, within, count, sector=self.logical_sector_size, msb_first=False,
                    data_start=at, absent=PARENT,
                )  # fmt: skip
            elif state == fmt.NOT_PRESENT:
                yield count, PARENT if diff else ZERO
            elif state in (fmt.UNDEFINED, fmt.ZERO_STATE, fmt.UNMAPPED):
                yield count, ZERO
            else:
                raise VhdError(
                    f"VHDX BAT entry for block {block} has state {state}", subject=str(self.path)
                )
            position += count

    # -- writing --------------------------------------------------------------------------------

    def begin_session(self) -> None:
        """Before the first change: a new header in the other slot (new write GUIDs, no log)."""
        if self._session:
            return
        header = replace(
            self.header,
            sequence=self.header.sequence + 1,
            file_write_guid=uuid.uuid4(),
            data_write_guid=uuid.uuid4(),
            log_guid=_NIL,
        )
        slot = 1 - self.header_slot
        self.pwrite(fmt.HEADER_OFFSETS[slot], header.pack())
        os.fsync(self._fd)
        self.header, self.header_slot, self._session = header, slot, True

    def allocate(self, length: int) -> int:
        at = self.eof
        self.eof = at + round_up(length, MiB)
        os.ftruncate(self._fd, self.eof)
        return at

    def _write_piece(self, offset: int, data: Buffer) -> None:
        self.begin_session()
        block, within = divmod(offset, self.block_size)
        index = self._payload_index(block)
        entry = self.bat[index]
        state, at = entry & 7, (entry >> 20) * MiB
        if state == fmt.FULLY_PRESENT:
            self.pwrite(at + within, data)
            return
        if state == fmt.PARTIALLY_PRESENT:
            self.pwrite(at + within, data)
            self._mark(block, within, len(data))
            return
        at = self.allocate(self.block_size)
        self.pwrite(at + within, data)
        self._bat_dirty = True
        partial = len(data) != self.block_size
        if self.kind == "differencing" and state == fmt.NOT_PRESENT and partial:
            self.bat[index] = at | fmt.PARTIALLY_PRESENT
            self._mark(block, within, len(data))
        else:  # the rest of the block reads as zeros, as it did before
            self.bat[index] = at | fmt.FULLY_PRESENT

    def _mark(self, block: int, within: int, length: int) -> None:
        chunk = block // self.ratio
        index = chunk * (self.ratio + 1) + self.ratio
        if self.bat[index] & 7 != fmt.SB_PRESENT:
            self.bat[index] = self.allocate(MiB) | fmt.SB_PRESENT
            self._bat_dirty = True
        bitmap_at, bitmap_len = self._bitmap_at(block)
        bitmap = bytearray(self.pread(bitmap_at, bitmap_len, "VHDX sector bitmap"))
        lss = self.logical_sector_size
        set_bits(bitmap, within // lss, length // lss, msb_first=False)
        self.pwrite(bitmap_at, bytes(bitmap))
        if all_set(bitmap, 0, len(bitmap) * 8, msb_first=False):
            payload = self._payload_index(block)
            self.bat[payload] = (self.bat[payload] & ~7) | fmt.FULLY_PRESENT
            self._bat_dirty = True

    def flush(self) -> None:
        if self._bat_dirty:
            self.pwrite(self.regions[fmt.BAT_REGION].offset, self.bat.tobytes())
            self._bat_dirty = False

    # -- inspection -----------------------------------------------------------------------------

    def allocated_blocks(self) -> int:
        blocks = -(-self.virtual_size // self.block_size)
        states = (fmt.FULLY_PRESENT, fmt.PARTIALLY_PRESENT)
        return sum(1 for b in range(blocks) if self.bat[self._payload_index(b)] & 7 in states)

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {
            "creator": self.creator,
            "disk_id": str(self.disk_id),
            "data_write_guid": str(self.header.data_write_guid),
            "file_write_guid": str(self.header.file_write_guid),
            "sequence_number": self.header.sequence,
            "chunk_ratio": self.ratio,
            "allocated_blocks": self.allocated_blocks(),
        }
        if self.kind == "differencing":
            out["parent_locator"] = dict(self.locator)
        return out

    def parent_locations(self) -> list[tuple[str, str]]:
        pairs = dict(self.locator)
        keys = ("relative_path", "volume_path", "absolute_win32_path")
        return [(key, pairs[key]) for key in keys if pairs.get(key)]

    def linkage_problem(self, parent: DiskImage) -> str | None:
        if not isinstance(parent, VhdxImage):
            return f"the parent is a {parent.format.upper()} file; a VHDX's parent must be a VHDX"
        pairs = dict(self.locator)
        wanted = [
            fmt.parse_linkage(pairs.get(k, "")) for k in ("parent_linkage", "parent_linkage2")
        ]
        if parent.header.data_write_guid in wanted:
            return None
        return (
            f"parent DataWriteGuid {{{parent.header.data_write_guid}}} matches neither "
            f"parent_linkage {pairs.get('parent_linkage', '(missing)')} nor parent_linkage2"
        )

    def problems(self) -> list[str]:
        found = list(self.notes)
        size, diff = self.file_size(), self.kind == "differencing"
        spans = [(0, MiB, "file header")]
        spans.append((self.header.log_offset, self.header.log_length, "log"))
        spans += [(r.offset, r.length, "BAT" if g == fmt.BAT_REGION else "metadata")
                  for g, r in self.regions.items()]  # fmt: skip
        for index, entry in enumerate(self.bat):
            state, at = entry & 7, (entry >> 20) * MiB
            is_bitmap = index % (self.ratio + 1) == self.ratio
            if is_bitmap and state == fmt.SB_PRESENT and not diff:
                found.append(
                    f"VHDX BAT entry {index}: sector bitmap present in a disk without parent"
                )
            if is_bitmap and state == fmt.SB_PRESENT:
                spans.append((at, MiB, f"sector bitmap block (BAT entry {index})"))
            elif not is_bitmap and state in (fmt.FULLY_PRESENT, fmt.PARTIALLY_PRESENT):
                if state == fmt.PARTIALLY_PRESENT and not diff:
                    found.append(f"VHDX BAT entry {index}: partially present without a parent")
                spans.append((at, self.block_size, f"payload block (BAT entry {index})"))
        spans.sort()
        for (a_at, a_len, a_name), (b_at, _, b_name) in itertools.pairwise(spans):
            if a_at + a_len > b_at:
                found.append(f"VHDX {a_name} overlaps {b_name}")
        for at, length, name in spans:
            if at + length > size and name.startswith("payload"):
                found.append(f"VHDX {name} lies beyond the end of the file")
        return found
