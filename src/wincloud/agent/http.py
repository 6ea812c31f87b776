"""The agent's only httpx.Client factory, and the one place httpx errors become ours.

httpx is imported inside the functions: a boot that reads a config drive never loads it.
Clients ignore proxy environment variables (the metadata service is link-local) and follow no
redirects; every request carries its own timeout, a wall-clock deadline for the whole exchange
(waiting for a connection, connecting, the headers and the body): httpx's timeouts count per
read, so a server trickling a byte at a time would otherwise hold the agent forever.

httpcore reads a response's headers in one loop with one per-read timeout, so the clock cannot
be checked between header lines from outside it. The deadline is therefore enforced by a
timer that shuts the request's socket down when it passes (the socket is handed over by
httpcore's ``trace`` extension when the connection is made); clients keep no idle
connections, so every request makes its own and a reused one never escapes the timer. A
server trickling header lines (httpcore takes 100 KiB of them) is cut off at the deadline.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from msgspec import Struct

from wincloud import __version__
from wincloud.errors import SourceUnavailable

if TYPE_CHECKING:
    import socket

    import httpx

log = logging.getLogger(__name__)

MAX_BODY: Final = 16 * 1024 * 1024
USER_AGENT: Final = f"wincloud-agent/{__version__}"


class Reply(Struct, frozen=True):
    status: int
    body: bytes


class _Watchdog:
    """Shuts down the sockets one request connected once ``timeout`` seconds have passed."""

    def __init__(self, timeout: float) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(timeout, self.cut)
        self.timer.daemon = True
        self.timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: keeps the socket of each connection made."""
        if event == "connection.connect_tcp.complete":
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                with self.lock:
                    self.sockets.append(sock)
                    if self.fired:  # connected just as the deadline passed
                        _shut(sock)

    def cut(self) -> None:
        with self.lock:
            self.fired = True
            for sock in self.sockets:
                _shut(sock)

    def cancel(self) -> None:
        self.timer.cancel()


def _timed_out(timeout: float) -> str:
    """One message for every way a request runs out of time (a read's timeout, the clock
    between chunks, the watchdog), whichever of them notices first."""
    return f"timed out after {timeout:g} s (no complete answer within {timeout:g} s)"


def _shut(sock: socket.socket) -> None:
    import socket

    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def create_client(*, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    import httpx

    return httpx.Client(
        transport=transport,
        trust_env=False,
        follow_redirects=False,
        # Answers are read as sent: httpx would inflate a gzip body a whole network chunk at a
        # time, past any size limit (a bomb briefly cost ~165 MB for a 1 KiB answer).
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        timeout=httpx.Timeout(10.0),
        limits=httpx.Limits(max_keepalive_connections=0),  # see the module's doc: the deadline
    )


def request(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    content: bytes | None = None,
    max_body: int = MAX_BODY,
) -> Reply:
    """Send one request; any transport failure (timeout, refused, reset, oversized body) is
    SourceUnavailable naming the URL. ``timeout`` bounds the whole request, not each read.
    The status is returned as is: callers decide."""
    import httpx

    deadline = time.monotonic() + timeout

    def check_deadline() -> None:
        if time.monotonic() > deadline:
            raise SourceUnavailable(_timed_out(timeout), subject=url)

    # Waiting for a pooled connection and connecting share the budget; each read or write
    # is bounded by it too, the clock is checked between the body's chunks below, and the
    # watchdog cuts the socket at the deadline, whatever phase the exchange is in.
    budget = httpx.Timeout(timeout)
    watchdog = _Watchdog(timeout)
    try:
        with client.stream(
            method,
            url,
            headers=dict(headers or {}),
            content=content,
            timeout=budget,
            extensions={"trace": watchdog.trace},
        ) as response:
            check_deadline()
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise SourceUnavailable(
                    "the answer is compressed although the agent asked for none "
                    f"(Content-Encoding: {encoding[:40]!r})",
                    subject=url,
                )
            body = bytearray()
            for chunk in response.iter_bytes():  # identity: nothing is decoded
                body += chunk
                if len(body) > max_body:
                    raise SourceUnavailable(
                        f"answer larger than {max_body} bytes", subject=f"{method} {url}"
                    )
                check_deadline()
            return Reply(response.status_code, bytes(body))
    except httpx.TimeoutException:
        raise SourceUnavailable(_timed_out(timeout), subject=url) from None
    except httpx.HTTPError as exc:
        if watchdog.fired:
            raise SourceUnavailable(_timed_out(timeout), subject=url) from None
        # A protocol error quotes what the server sent (the line it could not read, which may
        # be a password): name the error only. Connection errors say what the OS said.
        quotes_server = isinstance(exc, httpx.ProtocolError | httpx.DecodingError)
        reason = exc.__class__.__name__ if quotes_server else str(exc) or exc.__class__.__name__
        raise SourceUnavailable(f"request failed ({reason})", subject=url) from None
    finally:
        watchdog.cancel()


def get(
    client: httpx.Client, url: str, *, timeout: float, headers: Mapping[str, str] | None = None
) -> bytes | None:
    """GET: the body on 200, None on 404; any other answer is SourceUnavailable."""
    reply = request(client, "GET", url, timeout=timeout, headers=headers)
    if reply.status == 200:
        return reply.body
    if reply.status == 404:
        return None
    raise SourceUnavailable(f"server answered HTTP {reply.status}", subject=url)
