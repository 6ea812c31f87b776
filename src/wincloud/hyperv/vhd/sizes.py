"""Sizes as operators write them: ``40G``, ``512M``, ``1T``, ``4096`` (binary units)."""

from __future__ import annotations

import re

from wincloud.errors import ConfigError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB

_UNITS = {"": 1, "K": KiB, "M": MiB, "G": GiB, "T": TiB}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str, *, field: str = "size") -> int:
    """``"40G"`` -> 42949672960. Units are powers of 1024; ``B``/``iB`` suffixes are allowed."""
    match = _SIZE.match(text)
    if match is None:
        raise ConfigError(
            f"not a size: {text!r}", subject=field, hint="write a number with K, M, G or T"
        )
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


def format_size(value: int) -> str:
    """42949672960 -> ``"40G"``; sizes that are not a whole unit keep their bytes."""
    for unit in ("T", "G", "M", "K"):
        scale = _UNITS[unit]
        if value >= scale and value % scale == 0:
            return f"{value // scale}{unit}"
    return str(value)


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple
