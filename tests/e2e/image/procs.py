"""Finding the processes a command under test started, by a marker in their command line,
and waiting (bounded) for them to come or go."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def pids_using(marker: str, *, skip: int = 0, prefix: bytes = b"") -> list[int]:
    """Processes whose command line names ``marker`` (and starts with ``prefix``), but this
    one and ``skip``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in (os.getpid(), skip):
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(prefix) and marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    """Poll ``check`` every 0.1 s for at most ``seconds``; its last answer."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds * 10) + 1):
        if check():
            return True
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return bool(check())
