"""Access log and rate-limited warnings, kept off the request path.

A request appends one tuple to a buffer; twice a second the buffer goes to a writer thread
that turns it into lines and writes them in one call, so logging costs the request path (and
the event loop) next to nothing. Lines are
``key=value`` pairs whose values are escaped: a guest's path can hold no space, quote,
backslash or control character, so no line can be forged or split.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TextIO

from wincloud.errors import ConfigError

MAX_BUFFERED: Final = 200_000
_PLAIN: Final = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]*")  # printable, no quote or backslash
_SAFE: Final = frozenset(range(0x21, 0x7F)) - {ord('"'), ord("\\")}
_ESCAPES: Final = [chr(b) if b in _SAFE else f"\\x{b:02x}" for b in range(256)]


def escape(text: str | bytes, limit: int = 512) -> str:
    """Printable ASCII stays; every other byte (space, quotes, backslash, controls, UTF-8)
    becomes ``\\xHH``. Longer values are cut and end in ``...``."""
    if isinstance(text, str) and len(text) <= limit and _PLAIN.fullmatch(text):
        return text  # the common case: nothing to escape
    raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    cut = raw[:limit]
    out = "".join([_ESCAPES[b] for b in cut])
    return out + "..." if len(raw) > limit else out


class AccessLog:
    """``target``: "stderr", "off", or a file path (appended to)."""

    def __init__(self, target: str, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._buffer: list[tuple[float, str, str, str, int, str | None]] = []
        self._target = target
        self._own = target not in ("off", "stderr")
        self._stream: TextIO | None = None
        if target == "stderr":
            self._stream = sys.stderr
        elif self._own:
            self._stream = self._open()
        self.dropped = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wincloud-log")

    def _open(self) -> TextIO:
        try:
            return open(self._target, "a", encoding="ascii", buffering=1 << 16)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the access log ({exc.strerror or type(exc).__name__})",
                subject=f"access_log = {self._target!r}",
                hint='give a writable file, "stderr" or "off"',
            ) from None

    def reopen(self) -> None:
        """Open the file again (after logrotate moved it; SIGHUP), in the writer's turn."""
        if not self._own or self._stream is None:
            return
        self.flush()
        self._writer.submit(self._reopen)

    def _reopen(self) -> None:  # writer thread
        try:
            fresh = self._open()
        except ConfigError as err:
            logging.getLogger("wincloud.server").error("access log not reopened: %s", err)
            return
        if self._stream is not None:
            self._stream.close()
        self._stream = fresh

    @property
    def enabled(self) -> bool:
        return self._stream is not None

    def add(self, client: str, method: str, path: str, status: int, uuid: str | None) -> None:
        if self._stream is None:
            return
        if len(self._buffer) >= MAX_BUFFERED:
            self.dropped += 1
            return
        self._buffer.append((self._clock(), client, method, path, status, uuid))

    def flush(self) -> None:
        """Hand what is buffered to the writer thread."""
        if self._stream is None or not (self._buffer or self.dropped):
            return
        entries, self._buffer = self._buffer, []
        dropped, self.dropped = self.dropped, 0
        self._writer.submit(self._write, entries, dropped)

    def _write(
        self, entries: list[tuple[float, str, str, str, int, str | None]], dropped: int
    ) -> None:  # writer thread
        if self._stream is None:
            return
        lines = []
        stamp_second = -1
        prefix = ""
        for at, client, method, path, status, uuid in entries:
            second = int(at)
            if second != stamp_second:
                stamp_second = second
                prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            lines.append(
                f"{prefix}.{int((at - second) * 1000):03d}Z access client={escape(client)} "
                f"method={escape(method, 16)} path={escape(path)} status={status} "
                f"instance={uuid or '-'}\n"
            )
        if dropped:
            lines.append(f"access log dropped={dropped} (buffer full)\n")
        try:
            self._stream.write("".join(lines))
            self._stream.flush()
        except (OSError, ValueError):
            self.dropped += len(entries)

    def close(self) -> None:
        self.flush()
        self._writer.shutdown(wait=True)
        if self._own and self._stream is not None:
            self._stream.close()
        self._stream = None


class RateLimitedLog:
    """One line per ``key`` per ``interval`` seconds; the next line says how many were
    suppressed in between. For events a guest can trigger at will."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def log(self, level: int, key: str, message: str, *args: object) -> None:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._last[key] = now
        suppressed = self._suppressed.pop(key, 0)
        self._log.log(level, message + " suppressed=%d", *args, suppressed)
