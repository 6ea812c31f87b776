"""Disks produced as a byte stream, with no local file: a fixed VHD is the raw disk followed by
a 512-byte footer, so a raw stream (a config drive, a raw image) can be sent to a Hyper-V host
as a VHD while it is read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from wincloud.hyperv.vhd import vhd_format as fmt
from wincloud.hyperv.vhd.error import VhdError


def fixed_vhd_footer(size: int) -> bytes:
    """The footer that turns ``size`` raw bytes (a multiple of 512) into a fixed VHD."""
    if size <= 0 or size % fmt.SECTOR or size > fmt.MAX_SIZE:
        raise VhdError(f"VHD size {size} must be a positive multiple of 512 up to 2040 GiB")
    footer = fmt.Footer(
        disk_type=fmt.FIXED,
        current_size=size,
        original_size=size,
        data_offset=fmt.NO_OFFSET,
        unique_id=uuid.uuid4(),
        timestamp=fmt.timestamp(),
        geometry=fmt.geometry(size),
    )
    return footer.pack()


def fixed_vhd_stream(chunks: Iterable[bytes], size: int, *, subject: str = "") -> Iterator[bytes]:
    """The chunks of a raw disk of exactly ``size`` bytes, padded with zeros to a whole sector,
    then the fixed VHD footer: ``host.write_file(path, fixed_vhd_stream(raw, n))``."""
    padded = -(-size // fmt.SECTOR) * fmt.SECTOR
    footer = fixed_vhd_footer(padded)
    where = subject or None
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        if sent > size:
            raise VhdError(f"the raw stream is longer than {size} bytes", subject=where)
        if chunk:
            yield chunk
    if sent != size:
        raise VhdError(f"the raw stream ended after {sent} of {size} bytes", subject=where)
    if padded != size:
        yield bytes(padded - size)
    yield footer
