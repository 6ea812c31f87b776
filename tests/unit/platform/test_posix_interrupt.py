"""A program started through PosixProcesses.run does not outlive a caller interrupted while
waiting for it (``wincloud image publish``'s qemu-img on Ctrl-C, SIGTERM or SIGHUP)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from wincloud.platform.posix import posix_platform

from .conftest import make_root


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # a zombie is gone for us
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_an_interrupted_wait_kills_the_program_and_its_children(tmp_path):
    processes = posix_platform(make_root(tmp_path)).processes
    pidfile = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {pidfile}; wait"

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            processes.run(["sh", "-c", script], timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
