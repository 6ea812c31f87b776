"""The guests' HTTP/1.1 listener: an asyncio protocol over httptools (llhttp).

Built for a hostile network and for speed. Every limit is enforced here, before a request
reaches the service:

* a request's headers must arrive within ``header_timeout`` of its first byte, and an idle
  keep-alive connection closes after ``idle_timeout`` (a coarse clock, swept twice a second);
* request line + headers are capped (``MAX_HEAD`` bytes, ``MAX_HEADERS`` fields); bodies are
  capped by ``Content-Length`` before they are read and while they stream;
* one source address holds at most ``max_connections_per_client`` connections; the whole
  listener at most ``max_connections``, below the open-file limit; when full, idle keep-alive
  connections are closed to make room, and otherwise the newcomer is;
* pipelined requests are answered in order, at most ``MAX_PIPELINE`` queued per connection;
* a malformed request gets 400 (431, 413) and the connection closes; warnings a guest can
  trigger are rate-limited.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from typing import Any, Final, cast

import httptools

from wincloud.server.accesslog import AccessLog, RateLimitedLog, escape
from wincloud.server.app import Answer, MetadataApp, Request
from wincloud.server.identify import Peer, is_in
from wincloud.server.responses import response, with_close

log = logging.getLogger("wincloud.server.http")

MAX_HEAD: Final = 16 * 1024
MAX_URL: Final = 4096
MAX_PIPELINE: Final = 16
MAX_HEADERS: Final = 100
# Headers the service reads; everything else is parsed and dropped.
READ_HEADERS: Final = frozenset(
    {
        b"x-instance-id",
        b"x-instance-id-signature",
        b"x-tenant-id",
        b"x-forwarded-for",
        b"x-aws-ec2-metadata-token",
        b"x-aws-ec2-metadata-token-ttl-seconds",
        b"content-type",
    }
)
# A second copy of one of these makes the request ambiguous: refuse it.
SINGLE_HEADERS: Final = READ_HEADERS - {b"x-forwarded-for"}
# name -> (the key in Request.headers, whether a second copy is refused): one lookup per header.
_READ_NAMES: Final = {name: (name.decode("ascii"), name in SINGLE_HEADERS) for name in READ_HEADERS}


_METHODS: Final = {m.encode(): m for m in ("GET", "HEAD", "POST", "PUT", "DELETE")}


class Reject(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Listener:
    """State shared by the connections of one listening socket."""

    def __init__(self, app: MetadataApp, access: AccessLog, max_connections: int) -> None:
        self.app = app
        self.settings = app.settings
        self.metrics = app.metrics
        self.access = access
        self.max_connections = max_connections
        self.connections: set[Connection] = set()
        self.per_client: dict[str, int] = {}
        self.peers: dict[str | None, Peer] = {}
        self.warn = RateLimitedLog(log)
        self.loop = asyncio.get_running_loop()
        self.now = self.loop.time()
        self.max_body = max(app.settings.max_password_size, 4096)
        self.header_timeout = app.settings.header_timeout
        self.idle_timeout = app.settings.idle_timeout

    def factory(self) -> Connection:
        return Connection(self)

    def peer(self, host: str | None) -> Peer:
        peer = self.peers.get(host)
        if peer is None:
            if len(self.peers) > 65536:
                self.peers.clear()
            peer = self.peers[host] = Peer.of(host, self.settings)
        return peer

    def is_capped(self, peer: Peer) -> bool:
        """Per-client caps apply to guests, not to proxies: trusted_proxies,
        connection_cap_exempt, and any peer that has sent a validly signed request."""
        if peer.ip is None:
            return True
        if peer.is_proxy or peer.key in self.app.signed_peers:
            return False
        return not is_in(peer.ip, self.settings.connection_cap_exempt)

    def admit(self, conn: Connection) -> bool:
        peer = conn.peer
        if self.is_capped(peer):
            held = self.per_client.get(peer.key, 0)
            if held >= self.settings.max_connections_per_client:
                self.metrics.count("conn:refused_client_cap")
                self.warn.log(
                    logging.WARNING,
                    "client-cap",
                    "connection refused client=%s reason=per-client cap of %d reached",
                    peer.key,
                    self.settings.max_connections_per_client,
                )
                return False
        if len(self.connections) >= self.max_connections and not self._evict_idle():
            self.metrics.count("conn:refused_total_cap")
            self.warn.log(
                logging.WARNING,
                "total-cap",
                "connection refused client=%s reason=all %d connections busy",
                peer.key,
                self.max_connections,
            )
            return False
        self.connections.add(conn)
        self.per_client[peer.key] = self.per_client.get(peer.key, 0) + 1
        self.metrics.count("conn:accepted")
        return True

    def release(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.discard(conn)
            left = self.per_client.get(conn.peer.key, 1) - 1
            if left:
                self.per_client[conn.peer.key] = left
            else:
                self.per_client.pop(conn.peer.key, None)

    def _evict_idle(self) -> bool:
        """Close up to 64 of the longest-idle keep-alive connections; True if any went."""
        idle = sorted((c for c in self.connections if c.is_idle()), key=lambda c: c.deadline)[:64]
        for conn in idle:
            self.metrics.count("conn:evicted_idle")
            conn.close()
        return bool(idle)

    def sweep(self) -> None:
        """Close connections past their deadline (runs twice a second); one that is still
        there a second later (a peer that does not read what it was sent) is aborted."""
        self.now = now = self.loop.time()
        late = [c for c in self.connections if c.deadline < now and not c.busy]
        for conn in late:
            if conn.transport is not None:
                self.metrics.count("conn:timed_out")
            conn.timed_out(now)
        self.metrics.gauge("open_connections", len(self.connections))


class Connection(asyncio.Protocol):
    __slots__ = (
        "body",
        "busy",
        "closing",
        "deadline",
        "head_bytes",
        "header_bytes",
        "header_count",
        "headers",
        "headers_done",
        "in_head",
        "listener",
        "parser",
        "paused",
        "peer",
        "queue",
        "transport",
        "url",
    )

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.transport: asyncio.Transport | None = None
        self.closing: asyncio.Transport | None = None  # closed, waiting to drain
        self.header_count = 0
        self.header_bytes = 0
        self.parser = httptools.HttpRequestParser(self)
        self.peer = Peer("", None, False)
        # (request, keep-alive); (None, (status, message)): refuse and close when reached
        self.queue: deque[tuple[Request | None, Any]] = deque()
        self.busy = False
        self.paused = False
        self.in_head = False
        self.headers_done = False
        self.head_bytes = 0
        self.headers: dict[str, str] = {}
        self.url = b""
        self.body: bytearray | None = None
        self.deadline = listener.now + listener.settings.header_timeout

    # -- transport events -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)
        peername = transport.get_extra_info("peername")
        self.peer = self.listener.peer(peername[0] if peername else None)
        if not self.listener.admit(self):
            transport.abort()
            self.transport = None
            return
        transport.set_write_buffer_limits(high=256 * 1024)

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.release(self)
        self.transport = None
        self.queue.clear()

    def pause_writing(self) -> None:  # the guest does not read its answers
        if self.transport is not None and not self.paused:
            self.paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and self.paused:
            self.paused = False
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        if not self.in_head:  # the first bytes of a request: its clock starts
            self.in_head = True
            self.head_bytes = 0
            self.deadline = self.listener.now + self.listener.header_timeout
        try:
            self.parser.feed_data(data)
        except Reject as err:
            self._reject(err.status, err.message)
            return
        except httptools.HttpParserUpgrade:
            # Nothing here upgrades. A request answered already (CONNECT) just closes; one
            # the parser stopped in the middle of gets one 400.
            if self.in_head:
                self._reject(400, "upgrades are not supported")
            else:
                self._reject_after_answers()
            return
        except httptools.HttpParserCallbackError as err:
            cause = err.__context__
            if isinstance(cause, Reject):
                self._reject(cause.status, cause.message)
            else:
                self._reject(400, "malformed request")
            return
        except httptools.HttpParserError:
            self._reject(400, "malformed request")
            return
        if self.in_head and not self.headers_done:
            # httptools keeps an unfinished header in memory: bound what a request may send
            # before its headers end (counting whole reads: pipelined requests count too).
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD:
                self._reject(431, "request headers too large")

    # No on_message_begin: every callback costs, so a request's state is reset when it
    # completes, and its clock starts in data_received.

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_url(self, url: bytes) -> None:
        self.url = self.url + url if self.url else url
        if len(self.url) > MAX_URL:
            raise Reject(414, "request target too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        # Whole headers count too: a head that arrives in one read (up to the transport's
        # buffer) is never seen unfinished by data_received's count.
        self.header_bytes += len(name) + len(value)
        if self.header_count > MAX_HEADERS or self.header_bytes > MAX_HEAD:
            if self.header_count > MAX_HEADERS:
                raise Reject(431, "too many request headers")
            raise Reject(431, "request headers too large")
        first = name[0] | 0x20  # every header the service reads starts with x or c
        if first != 0x78 and first != 0x63:  # noqa: PLR1714 - cheapest test on the hot path
            return
        key = name.lower()
        if key == b"content-length":
            if not value.strip().isdigit() or int(value) > self.listener.max_body:
                raise self._too_large()
        elif (known := _READ_NAMES.get(key)) is not None:
            text, single = known
            given = value.decode("latin-1").strip()
            before = self.headers.get(text)
            if before is None:
                self.headers[text] = given
            elif single:
                raise Reject(400, f"duplicate {name.decode('latin-1')} header")
            else:
                self.headers[text] = before + "," + given

    def on_body(self, body: bytes) -> None:
        if self.body is None:
            self.body = bytearray()
        self.body += body
        if len(self.body) > self.listener.max_body:
            raise self._too_large()

    def _too_large(self) -> Reject:
        # Nova answers an oversized password with 400; other bodies get 413.
        if self.url.split(b"?", 1)[0].rstrip(b"/").endswith(b"/password"):
            return Reject(400, "password too large")
        return Reject(413, "request body too large")

    def on_message_complete(self) -> None:
        url = self.url
        if url[:1] != b"/" and url[:4].lower() == b"http":  # absolute-form: scheme://host/path
            slash = url.find(b"/", url.find(b"//") + 2)
            url = url[slash:] if slash >= 0 else b"/"
        question = url.find(b"?")
        path = (url[:question] if question >= 0 else url).decode("latin-1")
        raw_method = self.parser.get_method()
        method = _METHODS.get(raw_method) or raw_method.decode("ascii", "replace")
        body = b""
        if self.body is not None:
            body = bytes(self.body)
            self.body = None
        request = Request(method, path, self.headers, self.peer, body)
        self.url = b""
        self.headers = {}
        self.header_count = 0
        self.header_bytes = 0
        self.in_head = False
        self.headers_done = False
        keep_alive = self.parser.should_keep_alive()
        if self.busy or self.queue:
            if len(self.queue) >= MAX_PIPELINE:
                raise Reject(503, "too many pipelined requests")
            self.queue.append((request, keep_alive))
        elif self.transport is not None:
            self._answer(request, keep_alive)

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, request: Request, keep_alive: bool) -> None:
        """Answer now, or (when the store is needed) park the request at the head of the
        queue and stop reading until its answer is written."""
        try:
            result = self.listener.app.answer(request)
        except Exception:  # a bug must cost one answer, not the server
            log.exception("answer failed path=%s", escape(request.path))
            result = (500, None, response(500, "internal error"))
        if type(result) is tuple:
            self._send(request, result, keep_alive)
            return
        self.busy = True
        self.queue.appendleft((request, keep_alive))
        if self.transport is not None:
            self.transport.pause_reading()
        coro: Coroutine[Any, Any, Answer] = result  # type: ignore[assignment]
        task = self.listener.loop.create_task(coro)
        task.add_done_callback(self._answered)

    def _drain(self) -> None:
        """Answer queued (pipelined) requests in order; stop at one that needs the store."""
        while self.queue and self.transport is not None and not self.busy:
            request, keep_alive = self.queue.popleft()
            if request is None:  # a malformed request came after these: refuse it, close
                if keep_alive is not None:
                    status, message = keep_alive
                    self.transport.write(response(status, message, close=True))
                self.close()
                return
            self._answer(request, keep_alive)

    def _answered(self, task: asyncio.Task[Answer]) -> None:
        self.busy = False
        if not self.queue:
            return
        request, keep_alive = self.queue.popleft()
        if task.cancelled() or request is None:  # (the busy request always leads the queue)
            self.close()
            return
        error = task.exception()
        if error is not None:
            self.listener.warn.log(
                logging.ERROR,
                "answer-failed",
                "request failed path=%s error=%s",
                escape(request.path),
                type(error).__name__,
            )
            result: Answer = (500, None, response(500, "internal error"))
        else:
            result = task.result()
        self._send(request, result, keep_alive)
        if self.transport is not None:
            if not self.paused:
                self.transport.resume_reading()
            self._drain()

    def _send(self, request: Request, result: Answer, keep_alive: bool) -> None:
        status, uuid, raw = result
        listener = self.listener
        listener.metrics.request(request.path.startswith("/openstack"), status)
        listener.access.add(self.peer.key, request.method, request.path, status, uuid)
        transport = self.transport
        if transport is None:
            return
        if keep_alive:
            transport.write(raw)
            self.deadline = listener.now + listener.idle_timeout
        else:
            transport.write(with_close(raw))
            transport.close()

    def _reject_after_answers(self) -> None:
        if self.busy or self.queue:
            self.queue.append((None, None))
            if self.transport is not None:
                self.transport.pause_reading()
        else:
            self.close()

    def _reject(self, status: int, message: str) -> None:
        self.listener.metrics.count("conn:bad_request")
        self.listener.warn.log(
            logging.INFO,
            f"reject-{status}",
            "request refused client=%s status=%d reason=%s",
            self.peer.key,
            status,
            message,
        )
        self.listener.access.add(self.peer.key, "-", self.url.decode("latin-1"), status, None)
        if self.transport is None:
            return
        if self.busy or self.queue:
            # Earlier requests are still being answered: answer them, then refuse and close.
            self.queue.append((None, (status, message)))
            self.transport.pause_reading()
            return
        self.transport.write(response(status, message, close=True))
        self.close()

    # -- for the listener ---------------------------------------------------------------------

    def is_idle(self) -> bool:
        return not self.busy and not self.in_head and not self.queue

    def timed_out(self, now: float) -> None:
        transport = self.transport
        if transport is None:  # closed before, and still not gone: drop what it holds
            if self.closing is not None:
                self.closing.abort()
                self.closing = None
            return
        if self.in_head and transport.get_write_buffer_size() == 0:
            self.listener.access.add(self.peer.key, "-", "-", 408, None)
            transport.write(response(408, "request timeout", close=True))
        transport.close()
        self.transport = None
        self.closing = transport
        self.deadline = now + 1.0

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
            self.transport = None
