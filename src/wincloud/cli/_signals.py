"""SIGTERM as an interruption, for commands that start programs in their own sessions."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (kill, timeout, systemd, a cancelled CI job) unwinds like Ctrl-C, so cleanup
    runs: QEMU, swtpm and the guestfish server run in their own sessions or as daemons, and
    outlived a command that was simply terminated (with its temporary files and partial disk)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
