"""The VHDX log (MS-VHDX 2.3): this library writes an empty log and never writes entries.

A header whose LogGuid is not zero may still have nothing to replay: only entries with
signature ``loge``, that LogGuid and a valid CRC-32C count. When some exist, the file was not
closed cleanly by its writer and its BAT or metadata on disk may be stale. A writable open is
then refused (with a hint); a read-only open replays the active sequence into an in-memory
overlay of 4 KiB file sectors, so the file is read as its writer left it, and changes nothing.
The replay is bounded: at most ``MAX_REPLAY_SECTORS`` sectors (64 MiB) of overlay.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.sizes import KiB, MiB

SECTOR = 4 * KiB
MAX_REPLAY_SECTORS = 16 * 1024
_ENTRY = struct.Struct("<4sIIIQII16sQQ")
_DESCRIPTOR = struct.Struct("<4sIQQQ")
_SCAN = MiB

Pread = Callable[[int, int], bytes]


@dataclass(frozen=True)
class Entry:
    position: int  # offset inside the log
    length: int
    tail: int
    sequence: int
    descriptors: int
    last_file_offset: int


def _entries(log_guid: uuid.UUID, log_offset: int, log_length: int, pread: Pread) -> list[Entry]:
    found = []
    for chunk_at in range(0, log_length, _SCAN):
        chunk = pread(log_offset + chunk_at, min(_SCAN, log_length - chunk_at))
        for at in range(0, len(chunk) - _ENTRY.size + 1, SECTOR):
            if chunk[at : at + 4] != b"loge":
                continue
            fields = _ENTRY.unpack_from(chunk, at)
            length, position = fields[2], chunk_at + at
            if uuid.UUID(bytes_le=fields[7]) != log_guid:
                continue
            if length < SECTOR or length % SECTOR or position + length > log_length:
                continue
            if 64 + 32 * fields[5] > length:
                continue
            raw = bytearray(pread(log_offset + position, length))
            raw[4:8] = b"\0\0\0\0"
            if crc32c(raw) == fields[1]:
                found.append(Entry(position, length, fields[3], fields[4], fields[5], fields[9]))
    return found


def pending_entries(
    log_guid: uuid.UUID, log_offset: int, log_length: int, pread: Pread, *, subject: str
) -> int:
    """How many valid log entries for ``log_guid`` the log holds (0: nothing to replay)."""
    if log_guid.int == 0:
        return 0
    return len(_entries(log_guid, log_offset, log_length, pread))


def refuse_pending(count: int, *, subject: str) -> None:
    if count:
        raise VhdError(
            f"VHDX log holds {count} entries that were never replayed",
            subject=subject,
            hint="the disk was not closed cleanly; open it read-only, or once in Hyper-V (or "
            "run `qemu-img check -r all`) so its log is replayed, then retry",
        )


def _active_sequence(entries: list[Entry], log_length: int) -> list[Entry]:
    """The newest run of entries with consecutive sequence numbers, from its tail on."""
    by_position = {entry.position: entry for entry in entries}
    best: list[Entry] = []
    for first in entries:
        run = [first]
        while len(run) <= len(entries):
            after = by_position.get((run[-1].position + run[-1].length) % log_length)
            if after is None or after.sequence != run[-1].sequence + 1:
                break
            run.append(after)
        if not best or run[-1].sequence > best[-1].sequence:
            best = run
    head = best[-1]
    starts = [index for index, entry in enumerate(best) if entry.position == head.tail]
    if not starts:
        raise VhdError("VHDX log: the newest entry's tail is not in its sequence")
    return best[starts[0] :]


def replay(log_guid: uuid.UUID, log_offset: int, log_length: int, pread: Pread) -> dict[int, bytes]:
    """File sector offset -> 4 KiB contents after replaying the active sequence."""
    entries = _entries(log_guid, log_offset, log_length, pread)
    if not entries:
        return {}
    overlay: dict[int, bytes] = {}
    for entry in _active_sequence(entries, log_length):
        raw = pread(log_offset + entry.position, entry.length)
        data_at = -(-(64 + 32 * entry.descriptors) // SECTOR) * SECTOR
        for index in range(entry.descriptors):
            kind, trailing, leading, offset, sequence = _DESCRIPTOR.unpack_from(
                raw, 64 + 32 * index
            )
            if sequence != entry.sequence or offset % SECTOR:
                raise VhdError(f"VHDX log entry {entry.sequence}: descriptor {index} is invalid")
            if kind == b"zero":
                sectors = range(offset, offset + leading, SECTOR)  # leading: the zero length
                if len(overlay) + len(sectors) > MAX_REPLAY_SECTORS or leading % SECTOR:
                    raise VhdError("VHDX log replay is larger than this reader replays")
                for at in sectors:
                    overlay[at] = bytes(SECTOR)
            elif kind == b"desc":
                if data_at + SECTOR > entry.length or len(overlay) >= MAX_REPLAY_SECTORS:
                    raise VhdError(f"VHDX log entry {entry.sequence}: data sector missing")
                sector = raw[data_at : data_at + SECTOR]
                (high,) = struct.unpack_from("<I", sector, 4)
                (low,) = struct.unpack_from("<I", sector, SECTOR - 4)
                if sector[:4] != b"data" or (high << 32) | low != sequence:
                    raise VhdError(f"VHDX log entry {entry.sequence}: data sector {index} is bad")
                full = struct.pack("<Q", leading) + sector[8:-4] + struct.pack("<I", trailing)
                overlay[offset] = full
                data_at += SECTOR
            else:
                raise VhdError(f"VHDX log entry {entry.sequence}: unknown descriptor {kind!r}")
    return overlay


def apply(overlay: dict[int, bytes], offset: int, data: bytes) -> bytes:
    """``data`` read from the file at ``offset``, with the replayed sectors laid over it."""
    if not overlay:
        return data
    out: bytearray | None = None
    first = offset - offset % SECTOR
    for sector in range(first, offset + len(data), SECTOR):
        patch = overlay.get(sector)
        if patch is None:
            continue
        out = out if out is not None else bytearray(data)
        lo, hi = max(sector, offset), min(sector + SECTOR, offset + len(data))
        out[lo - offset : hi - offset] = patch[lo - sector : hi - sector]
    return bytes(out) if out is not None else data
