"""Input files of ``wincloud image`` read with a bound: a spec, a key file, a .reg file.

``/dev/zero`` read without end (and memory with it), a FIFO blocked the command before a byte
was read: what is not a regular file is refused before it is opened, and at most ``limit``
bytes are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def read_regular(path: Path, *, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (a link to one is fine). ValueError, whose text
    says why, for a FIFO, device or folder, or a file over ``limit`` bytes; OSError (with its
    ``strerror``) when it cannot be read."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise ValueError(f"not a regular file ({kind})")
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data
