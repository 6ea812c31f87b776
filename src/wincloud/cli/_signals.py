"""SIGTERM and SIGHUP as interruptions, for commands that start programs in their own sessions."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """SIGTERM (kill, timeout, systemd, a cancelled CI job) and SIGHUP (the terminal or the ssh
    session closed) unwind like Ctrl-C, so cleanup runs: QEMU, swtpm and the guestfish server
    run in their own sessions or as daemons, and outlived a command that was simply terminated
    or hung up on (with its temporary files and partial disk). A SIGHUP that is ignored when
    the command starts (``nohup``) stays ignored: the operator asked the command to survive."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _interrupt)}
    hangup: signal.Signals | None = getattr(signal, "SIGHUP", None)  # None on Windows
    if hangup is not None and signal.getsignal(hangup) is not signal.SIG_IGN:
        previous[hangup] = signal.signal(hangup, _interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
