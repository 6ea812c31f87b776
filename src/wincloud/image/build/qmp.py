"""A small blocking QMP client over a unix socket (QEMU's JSON machine protocol).

We need four commands (``qmp_capabilities``, ``cont``, ``send-key``, ``screendump``, ``quit``)
and the events; PyPI's ``qemu.qmp`` (0.0.x, asyncio) would be more than that. Every read has a
deadline; events that arrive while a command waits are queued for ``take_events``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from wincloud.errors import ImageError

log = logging.getLogger(__name__)

MAX_LINE: Final = 1 << 20
MAX_EVENTS: Final = 1000


class QmpError(ImageError):
    """QEMU's monitor refused a command, or the connection failed."""


class QmpClient:
    def __init__(self, sock: socket.socket, *, where: str) -> None:
        self._sock = sock
        self._buffer = b""
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
        self._closed = False
        self.where = where
        self._next_id = 0

    @classmethod
    def connect(
        cls,
        path: Path,
        *,
        timeout: float,
        alive: Callable[[], bool] = lambda: True,
        clock: Callable[[], float] = time.monotonic,
    ) -> QmpClient:
        """Connect (retrying while the socket appears and ``alive()``), read the greeting and
        leave capabilities negotiation mode."""
        sock = connect_unix(path, timeout=timeout, alive=alive, clock=clock)
        client = cls(sock, where=str(path))
        try:
            greeting = client._read_message(timeout)
            if "QMP" not in greeting:
                raise QmpError("not a QMP greeting", subject=str(path))
            client.execute("qmp_capabilities", timeout=timeout)
        except BaseException:
            client.close()
            raise
        return client

    def fileno(self) -> int:
        return self._sock.fileno()

    def execute(
        self, command: str, arguments: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Run one command and return its ``return`` value; QmpError on ``error``."""
        self._next_id += 1
        ident = f"wincloud-{self._next_id}"
        message: dict[str, Any] = {"execute": command, "id": ident}
        if arguments:
            message["arguments"] = arguments
        try:
            self._sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as exc:
            raise QmpError(f"QMP {command} not sent ({exc})", subject=self.where) from exc
        deadline = time.monotonic() + timeout
        for _ in range(MAX_EVENTS + 1):
            reply = self._read_message(max(0.0, deadline - time.monotonic()))
            if "event" in reply:
                self._events.append(reply)
                continue
            if reply.get("id") != ident:
                continue
            if "error" in reply:
                error = reply["error"]
                raise QmpError(
                    f"QMP {command} failed: {error.get('desc', error)}", subject=self.where
                )
            return reply.get("return")
        raise QmpError(f"QMP {command}: no answer among the events", subject=self.where)

    def pump(self, timeout: float = 0.0) -> bool:
        """Read what has arrived (waiting at most ``timeout``) and queue its events; False when
        QEMU closed the connection."""
        self._queue_buffered_events()
        if self._closed:
            return False
        self._sock.settimeout(timeout if timeout > 0 else 0.0)
        try:
            chunk = self._sock.recv(65536)
        except (BlockingIOError, TimeoutError):
            return True
        except OSError:
            self._closed = True
            return False
        if not chunk:
            self._closed = True
            return False
        self._buffer += chunk
        self._queue_buffered_events()
        return True

    def _queue_buffered_events(self) -> None:
        """Whole lines already read (a reply's chunk may carry events after it)."""
        while b"\n" in self._buffer:
            line, _, self._buffer = self._buffer.partition(b"\n")
            message = _parse(line)
            if message is not None and "event" in message:
                self._events.append(message)

    def take_events(self) -> list[dict[str, Any]]:
        events = list(self._events)
        self._events.clear()
        return events

    def send_key(self, *keys: str, hold_ms: int = 100) -> None:
        """Press the keys together (QKeyCode names: ``spc``, ``ret``, ``a``, ``ctrl``...)."""
        self.execute(
            "send-key",
            {"keys": [{"type": "qcode", "data": key} for key in keys], "hold-time": hold_ms},
        )

    def screendump(self, path: Path) -> None:
        """Write the guest's screen as a PPM file (QEMU writes it, so the path is QEMU's)."""
        self.execute("screendump", {"filename": str(path)}, timeout=30.0)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()

    def _read_message(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise QmpError("no answer from QEMU's monitor in time", subject=self.where)
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise QmpError(f"QMP connection failed ({exc})", subject=self.where) from exc
            if not chunk:
                self._closed = True
                raise QmpError("QEMU closed its monitor connection", subject=self.where)
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE:
                raise QmpError("QMP message too long", subject=self.where)
        line, _, self._buffer = self._buffer.partition(b"\n")
        message = _parse(line)
        if message is None:
            raise QmpError("QMP sent something that is not a JSON object", subject=self.where)
        return message


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def connect_unix(
    path: Path,
    *,
    timeout: float,
    alive: Callable[[], bool] = lambda: True,
    clock: Callable[[], float] = time.monotonic,
) -> socket.socket:
    """Connect to a unix socket that may not exist yet, retrying every 50 ms until
    ``timeout`` or until ``alive()`` turns False (the server's process died)."""
    if sys.platform == "win32":  # pragma: no cover - QEMU is driven from Linux hosts
        raise OSError("unix sockets: the image builder runs on Linux")
    deadline = clock() + timeout
    last: OSError | None = None
    for _ in range(int(timeout / 0.05) + 2):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(max(0.1, deadline - clock()))
            sock.connect(str(path))
            return sock
        except OSError as exc:
            sock.close()
            last = exc
        if clock() >= deadline or not alive():
            break
        time.sleep(0.05)
    raise ImageError(f"cannot connect to {path.name} ({last})", subject=str(path))
