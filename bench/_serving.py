"""What both benchmarks need to run a server process on loopback."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(
    proc: subprocess.Popen[bytes], port: int, why_exited: Callable[[], str], *, seconds: float = 30
) -> subprocess.Popen[bytes]:
    """Return ``proc`` once 127.0.0.1:``port`` accepts; exit the bench if it dies or is late."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {why_exited()[-2000:]}") from None
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the server did not listen on {port} within {seconds:.0f} s")
