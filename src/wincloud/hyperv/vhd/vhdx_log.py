"""The VHDX log (MS-VHDX 2.3): this library writes an empty log and never replays one.

A header whose LogGuid is not zero may still have nothing to replay: only log entries with
signature ``loge``, that LogGuid and a valid CRC-32C are replayable. When one exists the file
was not closed cleanly by its writer; reading it without replaying would return stale data,
so it is refused with a hint.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable

from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.sizes import KiB, MiB

_ENTRY = struct.Struct("<4sIIIQII16sQQ")
_SCAN = MiB


def pending_entries(
    log_guid: uuid.UUID,
    log_offset: int,
    log_length: int,
    pread: Callable[[int, int], bytes],
    *,
    subject: str,
) -> int:
    """How many valid log entries for ``log_guid`` the log region holds (0: nothing to replay)."""
    if log_guid.int == 0:
        return 0
    found = 0
    for chunk_at in range(0, log_length, _SCAN):
        chunk = pread(log_offset + chunk_at, min(_SCAN, log_length - chunk_at))
        for at in range(0, len(chunk) - _ENTRY.size + 1, 4 * KiB):
            if chunk[at : at + 4] != b"loge":
                continue
            fields = _ENTRY.unpack_from(chunk, at)
            length = fields[2]
            if uuid.UUID(bytes_le=fields[7]) != log_guid:
                continue
            if length < 4 * KiB or length % (4 * KiB) or chunk_at + at + length > log_length:
                continue
            entry = bytearray(pread(log_offset + chunk_at + at, length))
            entry[4:8] = b"\0\0\0\0"
            if crc32c(entry) == fields[1]:
                found += 1
    return found


def refuse_pending(count: int, *, subject: str) -> None:
    if count:
        raise VhdError(
            f"VHDX log holds {count} entries that were never replayed",
            subject=subject,
            hint="the disk was not closed cleanly; open it once in Hyper-V (or run "
            "`qemu-img check -r all`) so its log is replayed, then retry",
        )
