"""The one image-build module that starts programs: QEMU, swtpm, qemu-img (each in its own
session, output to a log file, stopped by process group; every wait bounded)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wincloud.errors import ImageError

# The image builder runs on Linux hosts; the name only type-checks for Windows.
if sys.platform == "win32":  # pragma: no cover
    _KILL = signal.SIGTERM
else:
    _KILL = signal.SIGKILL


@dataclass(frozen=True)
class Finished:
    argv: tuple[str, ...]
    returncode: int | None
    """None: killed at the timeout."""
    stdout: bytes
    stderr: bytes


class Process:
    """A started program whose stdout and stderr go to ``log``."""

    def __init__(self, argv: Sequence[str], *, log: Path) -> None:
        self.argv = tuple(argv)
        self.log = log
        try:
            with log.open("ab") as sink:
                self._proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as exc:
            raise ImageError(f"cannot start {self.argv[0]} ({exc.strerror})") from exc

    @property
    def pid(self) -> int:
        return self._proc.pid

    def poll(self) -> int | None:
        return self._proc.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, *, grace: float = 5.0) -> int | None:
        """SIGTERM to the group, then SIGKILL after ``grace`` seconds."""
        if self._proc.poll() is None:
            _signal_group(self._proc.pid, signal.SIGTERM)
            if self.wait(grace) is None:
                _signal_group(self._proc.pid, _KILL)
                self.wait(grace)
        return self._proc.poll()

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log.read_bytes()[-8192:].decode("utf-8", "replace")
        except OSError:
            return ""
        return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


def run(argv: Sequence[str], *, timeout: float) -> Finished:
    """Run a program to its end (killed, with its group, at ``timeout``)."""
    args = tuple(argv)
    try:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ImageError(f"cannot start {args[0]} ({exc.strerror})") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal_group(proc.pid, _KILL)
        out, err = proc.communicate()
        return Finished(args, None, out, err)
    return Finished(args, proc.returncode, out, err)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    if sys.platform == "win32":  # pragma: no cover - the image builder runs on Linux hosts
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
