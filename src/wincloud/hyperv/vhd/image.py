"""What every virtual disk offers: its geometry, ranged reads through the chain, and writes.

A format describes where each virtual range lives with ``_segments``: in this file at an
offset, zeros, or "ask the parent". ``read`` assembles ranges from that; ``write`` rounds to
whole logical sectors (reading the edges through the chain) and hands each block's piece to the
format's ``_write_piece``. Files are read with ``os.pread``: bounded, never past a checked size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import ClassVar

from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.fileio import read_at, write_at

Buffer = bytes | bytearray | memoryview
ZERO = -1
PARENT = -2

_READ_CHUNK = 64 * 1024 * 1024


class DiskImage:
    """An open virtual disk. Use as a context manager; ``close`` closes the whole chain."""

    format: ClassVar[str] = ""

    def __init__(self, path: Path, fd: int, *, writable: bool) -> None:
        self.path = path
        self._fd = fd
        self.writable = writable
        self.kind = "fixed"  # fixed | dynamic | differencing
        self.virtual_size = 0
        self.block_size = 0
        self.logical_sector_size = 512
        self.physical_sector_size = 512
        self.parent: DiskImage | None = None
        self._closed = False

    # -- what a format implements -------------------------------------------------------------

    def _segments(self, offset: int, length: int) -> Iterator[tuple[int, int]]:
        """(n_bytes, where) runs covering ``offset``..``offset+length``; where is a file offset,
        ZERO or PARENT."""
        yield length, offset

    def _write_piece(self, offset: int, data: Buffer) -> None:
        """Write sector-aligned ``data`` that lies inside one block."""
        raise VhdError("this disk cannot be written", subject=str(self.path))

    def write_unit(self) -> int:
        """Writes are widened to whole units (completed from the chain). A differencing disk
        records data in whole 4 KiB units, as Hyper-V does: its sector bitmaps then hold only
        whole bytes, which some readers (libvhdi, dissect) need."""
        if self.kind == "differencing":
            return max(self.logical_sector_size, 4096)
        return self.logical_sector_size

    def _piece_size(self) -> int:
        return self.block_size or _READ_CHUNK

    def flush(self) -> None:
        """Write what is held in memory (tables, footers) to the file."""

    def describe(self) -> dict[str, object]:
        """The format's own fields, for ``info``."""
        return {}

    def problems(self) -> list[str]:
        """Structural problems found by a full check (empty when sound)."""
        return []

    def parent_locations(self) -> list[tuple[str, str]]:
        """(locator key, Windows path) of the parent, in the order to try them."""
        return []

    def linkage_problem(self, parent: DiskImage) -> str | None:
        """Why ``parent`` is not this disk's parent (None when the linkage holds)."""
        return None

    # -- reading --------------------------------------------------------------------------------

    def _check_range(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.virtual_size:
            raise VhdError(
                f"range {offset}+{length} is outside the virtual disk ({self.virtual_size} bytes)",
                subject=str(self.path),
            )

    def pread(self, offset: int, length: int, what: str) -> bytes:
        """Exactly ``length`` bytes of the file at ``offset``, or a VhdError naming ``what``."""
        if offset < 0 or offset + length > self.file_size():
            raise VhdError(f"{what} lies beyond the end of the file", subject=str(self.path))
        data = read_at(self._fd, length, offset)
        if len(data) != length:
            raise VhdError(f"{what} lies beyond the end of the file", subject=str(self.path))
        return data

    def pwrite(self, offset: int, data: Buffer) -> None:
        write_at(self._fd, data, offset)

    def file_size(self) -> int:
        return os.fstat(self._fd).st_size

    def read(self, offset: int, length: int) -> bytes:
        """The virtual disk's bytes ``offset``..``offset+length`` (through the chain)."""
        self._check_range(offset, length)
        parts: list[bytes] = []
        position = offset
        for count, where in self._segments(offset, length):
            if where >= 0:
                parts.append(self.pread(where, count, f"data at virtual offset {position}"))
            elif where == PARENT and self.parent is not None:
                parts.append(self._read_parent(position, count))
            else:
                parts.append(bytes(count))
            position += count
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read_parent(self, offset: int, length: int) -> bytes:
        parent = self.parent
        assert parent is not None
        inside = max(0, min(length, parent.virtual_size - offset))
        data = parent.read(offset, inside) if inside else b""
        return data + bytes(length - inside)

    def iter_chunks(self, chunk: int = 8 * 1024 * 1024) -> Iterator[bytes]:
        """The whole virtual disk in order, ``chunk`` bytes at a time."""
        for offset in range(0, self.virtual_size, chunk):
            yield self.read(offset, min(chunk, self.virtual_size - offset))

    def is_allocated(self, offset: int, length: int) -> bool:
        """Whether any byte of the range is stored in this file or an ancestor."""
        position = offset
        for count, where in self._segments(offset, length):
            if where >= 0:
                return True
            parent = self.parent
            if where == PARENT and parent is not None and position < parent.virtual_size:
                end = min(position + count, parent.virtual_size)
                if parent.is_allocated(position, end - position):
                    return True
            position += count
        return False

    # -- writing --------------------------------------------------------------------------------

    def write(self, offset: int, data: Buffer) -> None:
        """Write ``data`` at virtual ``offset``; partial sectors are completed from the chain."""
        if not self.writable:
            raise VhdError("the disk was opened read-only", subject=str(self.path))
        self._check_range(offset, len(data))
        if not data:
            return
        unit = self.write_unit()
        start = offset - offset % unit
        end = min(-(-(offset + len(data)) // unit) * unit, self.virtual_size)
        if start != offset or end != offset + len(data):
            head = self.read(start, offset - start) if start != offset else b""
            tail_len = end - offset - len(data)
            tail = self.read(offset + len(data), tail_len) if tail_len else b""
            data = head + bytes(data) + tail
        piece = self._piece_size()
        position = start
        view = memoryview(data)
        while view:
            count = min(len(view), piece - position % piece)
            self._write_piece(position, view[:count])
            view, position = view[count:], position + count

    # -- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self.writable:
                self.flush()
        finally:
            self._closed = True
            os.close(self._fd)
            if self.parent is not None:
                self.parent.close()

    def __enter__(self) -> DiskImage:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def chain(self) -> list[DiskImage]:
        """This disk, its parent, the parent's parent..."""
        disks: list[DiskImage] = []
        node: DiskImage | None = self
        while node is not None:
            disks.append(node)
            node = node.parent
        return disks


def open_fd(path: Path, *, writable: bool, create: bool = False) -> int:
    flags = os.O_RDWR if writable else os.O_RDONLY
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    try:
        return os.open(path, flags | getattr(os, "O_BINARY", 0), 0o644)
    except FileExistsError as exc:
        raise VhdError("the file already exists", subject=str(path)) from exc
    except OSError as exc:
        raise VhdError(f"cannot open the disk ({exc.strerror})", subject=str(path)) from exc


class RawImage(DiskImage):
    """A raw disk image: the file is the virtual disk."""

    format = "raw"

    @classmethod
    def open(cls, path: Path, *, writable: bool = False) -> RawImage:
        image = cls(path, open_fd(path, writable=writable), writable=writable)
        image.virtual_size = image.file_size()
        return image

    @classmethod
    def create(cls, path: Path, size: int) -> RawImage:
        image = cls(path, open_fd(path, writable=True, create=True), writable=True)
        os.ftruncate(image._fd, size)
        image.virtual_size = size
        return image

    def _write_piece(self, offset: int, data: Buffer) -> None:
        self.pwrite(offset, data)
