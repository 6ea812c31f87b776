"""CRC-32C (Castagnoli), the checksum of VHDX headers, region tables and log entries.

Pure Python, table driven. The structures it covers are mostly zero padding (a 64 KiB region
table holds a few dozen bytes), so trailing zeros are not fed byte by byte: a zero byte changes
the CRC register linearly, and ``n`` of them are applied as a precomputed power of that linear
map (32 x 32 bits over GF(2)) in ``log2(n)`` steps.
"""

from __future__ import annotations

_POLY = 0x82F63B78  # 0x1EDC6F41 reflected


def _table() -> tuple[int, ...]:
    rows = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        rows.append(crc)
    return tuple(rows)


_TABLE = _table()


def _apply(columns: list[int], value: int) -> int:
    out, bit = 0, 0
    while value:
        if value & 1:
            out ^= columns[bit]
        value >>= 1
        bit += 1
    return out


def _zero_powers() -> list[list[int]]:
    one_byte = [_TABLE[(1 << bit) & 0xFF] ^ ((1 << bit) >> 8) for bit in range(32)]
    powers = [one_byte]
    for _ in range(40):  # up to 2**40 zero bytes
        last = powers[-1]
        powers.append([_apply(last, column) for column in last])
    return powers


_ZERO_POWERS = _zero_powers()


def _feed_zeros(register: int, count: int) -> int:
    power = 0
    while count:
        if count & 1:
            register = _apply(_ZERO_POWERS[power], register)
        count >>= 1
        power += 1
    return register


def crc32c(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """The CRC-32C of ``data`` (continuing from ``crc``)."""
    raw = bytes(data)
    body = raw.rstrip(b"\0")
    table = _TABLE
    register = crc ^ 0xFFFFFFFF
    for byte in body:
        register = table[(register ^ byte) & 0xFF] ^ (register >> 8)
    register = _feed_zeros(register, len(raw) - len(body))
    return register ^ 0xFFFFFFFF
