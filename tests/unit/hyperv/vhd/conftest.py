"""Helpers for the VHD/VHDX tests: a reference model of the virtual disk to compare against."""

from __future__ import annotations

import random

from wincloud.hyperv.vhd import DiskImage

MiB = 1024 * 1024


def scribble(disk: DiskImage, model: bytearray, rnd: random.Random, writes: int = 12) -> None:
    """Random writes (unaligned, some spanning blocks) to ``disk`` and ``model`` alike."""
    size = len(model)
    for _ in range(writes):
        offset = rnd.randrange(size)
        length = min(rnd.randrange(1, 3 * MiB // 2), size - offset)
        data = rnd.randbytes(length)
        disk.write(offset, data)
        model[offset : offset + length] = data
