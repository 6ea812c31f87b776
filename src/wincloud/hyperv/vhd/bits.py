"""Sector bitmaps: runs of present/absent sectors and setting bits.

VHD stores the first sector in the most significant bit of byte 0; VHDX in the least
significant bit (MS-VHDX 2.4.2). ``msb_first`` selects the order.
"""

from __future__ import annotations

from collections.abc import Iterator


def _bit(bitmap: bytes | bytearray, index: int, msb_first: bool) -> bool:
    byte = bitmap[index >> 3]
    shift = 7 - (index & 7) if msb_first else index & 7
    return bool((byte >> shift) & 1)


def runs(
    bitmap: bytes | bytearray, start: int, count: int, *, msb_first: bool
) -> Iterator[tuple[bool, int]]:
    """(present, n_sectors) runs covering bits ``start`` .. ``start + count``."""
    index, end = start, start + count
    current: bool | None = None
    length = 0
    while index < end:
        if index & 7 == 0 and end - index >= 8 and bitmap[index >> 3] in (0, 0xFF):
            value, step = bitmap[index >> 3] == 0xFF, 8
        else:
            value, step = _bit(bitmap, index, msb_first), 1
        if value is current:
            length += step
        else:
            if current is not None:
                yield current, length
            current, length = value, step
        index += step
    if current is not None and length:
        yield current, length


def set_bits(bitmap: bytearray, start: int, count: int, *, msb_first: bool) -> None:
    """Mark bits ``start`` .. ``start + count`` present."""
    index, end = start, start + count
    while index < end:
        if index & 7 == 0 and end - index >= 8:
            whole = (end - index) >> 3
            bitmap[index >> 3 : (index >> 3) + whole] = b"\xff" * whole
            index += whole << 3
            continue
        shift = 7 - (index & 7) if msb_first else index & 7
        bitmap[index >> 3] |= 1 << shift
        index += 1


def all_set(bitmap: bytes | bytearray, start: int, count: int, *, msb_first: bool) -> bool:
    return all(present for present, _ in runs(bitmap, start, count, msb_first=msb_first))


def bitmap_segments(
    bitmap: bytes | bytearray,
    within: int,
    count: int,
    *,
    sector: int,
    msb_first: bool,
    data_start: int,
    absent: int,
) -> Iterator[tuple[int, int]]:
    """(n_bytes, where) for bytes ``within``..``within+count`` of a block whose sector bitmap is
    ``bitmap``: present sectors map to ``data_start + offset``, absent ones to ``absent``."""
    first = within // sector
    last = -(-(within + count) // sector)
    position = first * sector
    end = within + count
    for present, sectors in runs(bitmap, first, last - first, msb_first=msb_first):
        run_start, run_end = max(position, within), min(position + sectors * sector, end)
        if run_end > run_start:
            yield run_end - run_start, (data_start + run_start) if present else absent
        position += sectors * sector
