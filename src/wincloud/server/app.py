"""The metadata service's decisions: who is asking, what they may read, and the answer's bytes.

Per request: look at the store's change probe (cheap: a few bytes of shared memory on SQLite),
identify the caller from the in-memory index, then answer from the caller's rendered tree. A
cached answer is a finished HTTP response: a dict lookup. Anything that needs the database (a
tree not rendered yet, the password, a report) runs in a small thread pool and comes back as an
awaitable, so the event loop never waits on the store.

Freshness: a request that starts after a change to the store has committed sees it. Changes
made by anyone (CLI, admin API, another worker) are in the store's change feed; the probe
tells when to read it. On PostgreSQL the probe is fed by LISTEN/NOTIFY (or, with
``freshness = "strict"``, asks the database before every answer).

Outages: when the store cannot be read the service cannot vouch for freshness, so guests get
503 with Retry-After until it is back; one line is logged when it goes and one when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar
from urllib.parse import unquote

from wincloud.errors import NotFound, StoreError
from wincloud.server import imdsv2
from wincloud.server.accesslog import RateLimitedLog
from wincloud.server.cache import Rendered, TreeCache
from wincloud.server.identify import FORWARDED_HEADER, Peer, Refusal, Via, identify
from wincloud.server.index import InstanceIndex
from wincloud.server.loader import TreeLoader
from wincloud.server.metrics import Metrics
from wincloud.server.onloop import call_on_loop, running_loop
from wincloud.server.reports import SCHEMAS, parse_report
from wincloud.server.responses import response
from wincloud.server.settings import MAX_TOKEN_TTL, Freshness, ServerSettings, TokenMode
from wincloud.store import SqlInstanceRepo
from wincloud.store.changes import ChangeFeed, IndexEntry, PgListener, SeqWatcher, Watcher
from wincloud.tree.versions import LATEST, OPENSTACK_VERSIONS, PASSWORD_SINCE, since

log = logging.getLogger("wincloud.server")

TOKEN_PATH: Final = "latest/api/token"  # noqa: S105 - a path
RETRY_AFTER: Final = 5
REFRESH_SLACK: Final = 5.0  # seconds beyond store_timeout an admin write waits for the index
_OPENSTACK_VERSIONS: Final = frozenset((*OPENSTACK_VERSIONS, LATEST))
_READ: Final = frozenset({"GET", "HEAD"})

T = TypeVar("T")
Answer = tuple[int, str | None, bytes]  # status, instance uuid (for the log), response bytes
Result = Answer | Coroutine[Any, Any, Answer]


_NO_ADDRESS: Final = Refusal(404, "no instance has the source address")


class Request:
    """One parsed request, as the listener hands it over."""

    __slots__ = ("body", "head", "headers", "method", "path", "peer", "retried")

    def __init__(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        peer: Peer,
        body: bytes = b"",
    ) -> None:
        self.method = method
        self.path = path  # raw target path, query string removed
        self.headers = headers  # lowercase names; only the ones the service reads
        self.peer = peer
        self.body = body
        self.head = method == "HEAD"
        self.retried = 0  # answered again after the store changed under it


def normalize_path(raw: str) -> str:
    """``/openstack//latest/`` -> ``openstack/latest``; the EC2 root is ``""``."""
    if "%" in raw:
        raw = unquote(raw, errors="replace")
    if "//" not in raw and "/." not in raw:
        return raw.strip("/")
    return posixpath.normpath("/" + raw).strip("/")


def _text(status: int, body: str, *, head: bool = False, **headers: str) -> bytes:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return response(status, body, headers=named, head=head)


class MetadataApp:
    """The service core; one per process. Build it with ``create_app`` and ``start()`` it on
    the event loop that will call ``answer``."""

    def __init__(self, repo: SqlInstanceRepo, settings: ServerSettings, metrics: Metrics) -> None:
        self.repo = repo
        self.settings = settings
        self.metrics = metrics
        self.feed = ChangeFeed(repo.engine, repo.url)
        self.index = InstanceIndex()
        self.cache = TreeCache(settings.cache_size, settings.cache_bytes)
        self.passwords: dict[str, bytes | None] = {}
        self._epoch = 0  # bumps on every change: loads that straddle one are not cached
        self.index.on_change(self._forget)
        key = settings.token_key.reveal().encode() if settings.token_key else None
        self.tokens = imdsv2.TokenSigner(key)
        # Reads (tree loads, passwords) and writes (password posts, reports) run in separate
        # pools, so writes waiting on a lock never hold up reads; each instance has at most
        # one write in flight, and a write gives up store_timeout after it arrived.
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wincloud-read")
        self.writes = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wincloud-write")
        self._writing: dict[str, tuple[asyncio.Lock, int]] = {}  # uuid -> (lock, users)
        # Peers that proved the proxy secret: not capped per client (listener.admit).
        self.signed_peers: set[str] = set()
        self.closed = False
        self.loader = TreeLoader(
            self.feed,
            self.pool,
            repo.url,
            lambda seconds, failed: metrics.store_call(seconds, failed=failed),
            self._warm if settings.prewarm else None,
            answered=metrics.answered,
        )
        self._watch: Watcher | None = None
        self._listener: PgListener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = False  # the first index load is done (later changes may evict)
        self.outage: str | None = None
        self._listener_down: str | None = None
        self._outage_since = 0.0
        self._retry_at = 0.0
        self.warn = RateLimitedLog(log)
        self._tokens_required = settings.token_mode is TokenMode.REQUIRED

    # -- life cycle ----------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Load the index and start following the store (call on ``loop``'s thread)."""
        self._loop = loop
        self.loader.loop = loop
        self._catch_up()
        if self.feed.dialect == "postgresql" and self.settings.freshness is Freshness.STRICT:
            self._watch = SeqWatcher(self.feed)  # asks before every answer: no listener needed
        elif self.feed.dialect == "postgresql":
            self._listener = PgListener(self.repo.engine, self._notified, self._listener_state)
            self._listener.start()
        else:
            self._watch = self.feed.watcher()
        log.info(
            "store opened url=%s instances=%d watch=%s",
            self.repo.url,
            len(self.index),
            type(self._watch).__name__ if self._watch else "PgListener",
        )
        if not len(self.index):
            # Every guest would get 404: most often the wrong --db, or records not added yet.
            log.warning(
                "the store holds no instance: every guest is answered 404 until records are "
                "added url=%s hint=check --db / $WINCLOUD_DB, or add records with "
                "`wincloud instance add`",
                self.repo.url,
            )

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        if self._watch is not None:
            self._watch.close()
        self.closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.writes.shutdown(wait=False, cancel_futures=True)

    def poll(self) -> None:
        """Catch up if the store changed (the timer calls it, so the index and /healthz stay
        current between requests), and notice a SQLite file deleted or replaced."""
        if self.closed:
            return
        moved = self.feed.moved()
        if moved is not None:
            self._went_down(moved)
            return
        watch = self._watch
        try:
            if self.outage is not None or (watch is not None and watch.changed()):
                self._catch_up()
        except StoreError as err:
            self._went_down(err.message)

    def refresh(self) -> None:
        """Bring the index up to the store now (after a write through this process, before
        it is acknowledged). Callable from any thread (the admin API calls it from a thread
        pool): the catch-up itself runs on the service's event loop, which owns the index,
        the cache and the loader (its prewarm sets loop timers), and this waits for it."""
        loop = self._loop
        if loop is None or self.closed or running_loop() is loop or not loop.is_running():
            self._catch_up()
        else:
            call_on_loop(loop, self._catch_up, self.settings.store_timeout + REFRESH_SLACK)

    def status(self) -> dict[str, Any]:
        return {
            "instances": len(self.index),
            "cached_trees": len(self.cache),
            "cache_bytes": self.cache.bytes,
            "store": "unavailable" if self.outage else "ok",
        }

    # -- following the store ---------------------------------------------------------------

    def _catch_up(self) -> bool:
        """Read the change feed into the index; False (and outage mode) when the store
        cannot be read."""
        started = time.perf_counter()
        try:
            delta = self.feed.since(self.index.seq) if self.index.loaded else None
            if delta is None:
                self.index.replace(self.feed.snapshot())
            else:
                self.index.apply(delta)
        except StoreError as err:
            self.metrics.store_call(time.perf_counter() - started, failed=True)
            self._went_down(err.message)
            return False
        self._came_back()
        self.metrics.gauge("instances", len(self.index))
        return True

    def _file_moved(self) -> bool:
        """A changed SQLite file that is not the one opened: its commits never reach us."""
        moved = self.feed.moved()
        if moved is not None:
            self._went_down(moved)
            return True
        return False

    def _forget(self, uuids: Iterable[str]) -> None:
        self._epoch += 1
        entries = self.index.entries
        fresh = []
        for uuid in uuids:
            self.cache.drop(uuid)
            self.passwords.pop(uuid, None)
            if (entry := entries.get(uuid)) is not None:
                fresh.append(entry)
        if fresh and self._loop is not None and not self.closed:
            # Newest first. At start (the whole index is new) only free room is filled.
            fresh.sort(key=lambda e: e.incarnation, reverse=True)
            self.loader.prewarm(fresh, evict=self._started)
        self._started = self._loop is not None

    def _warm(self, rendered: Rendered, evict: bool) -> bool:
        """Take a prewarmed tree into the cache; False when a start's prewarm should stop
        (the cache is 90% full: trees that guests asked for are not pushed out for it)."""
        current = self.index.entries.get(rendered.uuid)
        if current is None or not rendered.is_current(current):
            return True  # changed meanwhile: the change queued its own prewarm
        cached = self.cache.peek(rendered.uuid)
        if cached is not None and cached.is_current(current):
            return True  # a guest was first
        cache = self.cache
        if not evict and (
            cache.bytes + rendered.size > cache.max_bytes * 0.9
            or len(cache) + 1 > cache.max_items * 0.9
        ):
            return False
        cache.put(rendered)
        return True

    def _notified(self) -> None:  # listener thread
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._catch_up)

    def _listener_state(self, reason: str | None) -> None:  # listener thread
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._set_listener_state, reason)

    def _set_listener_state(self, reason: str | None) -> None:
        self._listener_down = reason
        if reason is None:
            self._catch_up()
        else:
            self._went_down(reason)

    def _went_down(self, reason: str) -> None:
        now = time.monotonic()
        self._retry_at = now + 0.5
        if self.outage is None:
            self.outage = reason
            self._outage_since = now
            self.metrics.count("store:outages")
            log.error(
                "store unavailable url=%s reason=%s (guests get 503 until it is back)",
                self.repo.url,
                reason,
            )

    def _came_back(self) -> None:
        # On PostgreSQL changes are heard through the listener: without it, no freshness.
        if self.outage is not None and self._listener_down is None and not self.feed.moved():
            log.warning(
                "store available again url=%s after_s=%.2f",
                self.repo.url,
                time.monotonic() - self._outage_since,
            )
            self.outage = None

    # -- answering --------------------------------------------------------------------------

    def answer(self, req: Request) -> Result:
        """The response to ``req``: bytes at once, or a coroutine when the store is needed."""
        if self.closed:
            return 503, None, self._unavailable(req)
        if self.outage is not None and (
            time.monotonic() < self._retry_at or not self._catch_up() or self.outage is not None
        ):
            return 503, None, self._unavailable(req)
        watch = self._watch
        if watch is not None:
            try:
                changed = watch.changed()
            except StoreError as err:
                self._went_down(err.message)
                return 503, None, self._unavailable(req)
            if changed and (self._file_moved() or not self._catch_up()):
                return 503, None, self._unavailable(req)
        headers = req.headers
        entry: IndexEntry | None
        if headers and (len(headers) > 1 or imdsv2.TOKEN_HEADER not in headers):
            found = identify(self.index, self.settings, req.peer, headers)
            if type(found) is Refusal:
                return found.status, None, self._refuse(found, req)
            entry, via = found  # type: ignore[misc]
            if via == "signature" and len(self.signed_peers) < 4096:
                self.signed_peers.add(req.peer.key)
        else:  # the common case: identified by the source address alone (IMDSv2 guests too)
            uuid_ = self.index.by_address.get(req.peer.key)
            entry = self.index.entries.get(uuid_) if uuid_ is not None else None
            if entry is None:
                return 404, None, self._refuse(_NO_ADDRESS, req)
            via = "address"
        path = normalize_path(req.path)
        uuid = entry.uuid
        openstack = path.startswith("openstack")
        if openstack:
            if (path.endswith("/password") or "/wincloud/" in path) and (
                special := self._openstack_special(req, entry, path)
            ) is not None:
                return special
        elif path == TOKEN_PATH:
            return self._token(req, entry, via)
        if req.method not in _READ:
            return 405, uuid, _text(405, "method not allowed", Allow="GET, HEAD")
        if (
            not openstack
            and (headers or self._tokens_required)
            and not self._token_ok(headers, uuid)
        ):
            return (
                401,
                uuid,
                _text(401, "a valid X-aws-ec2-metadata-token is required", head=req.head),
            )
        rendered = self.cache.find(entry)
        if rendered is None:
            return self._answer_after_render(req, entry, path)
        raw = self.cache.response(rendered, path, req.head)
        if raw is None:
            return 404, uuid, _text(404, "not found", head=req.head)
        return 200, uuid, raw

    def _openstack_special(self, req: Request, entry: IndexEntry, path: str) -> Result | None:
        """The password and report paths (POST targets); None for every other path."""
        parts = path.split("/")
        version_ok = len(parts) > 2 and parts[1] in _OPENSTACK_VERSIONS
        if len(parts) == 3 and parts[2] == "password" and version_ok:
            return self._password(req, entry) if since(parts[1], PASSWORD_SINCE) else None
        if len(parts) == 4 and parts[2] == "wincloud" and version_ok and parts[3] in SCHEMAS:
            return self._report(req, entry, parts[3])
        return None

    async def _answer_after_render(self, req: Request, entry: IndexEntry, path: str) -> Answer:
        try:
            rendered = await self._rendered(entry)
        except StoreError as err:
            return self._store_failed(err, req)
        if rendered is None:
            # The record changed or went while we read it: catch up, identify again (the
            # address may have moved) and answer from the new state, once.
            if req.retried >= 3 or not self._catch_up():
                return 503, None, self._unavailable(req)
            req.retried += 1
            again = self.answer(req)
            return again if isinstance(again, tuple) else await again
        raw = self.cache.response(rendered, path, req.head)
        if raw is None:
            return 404, entry.uuid, _text(404, "not found", head=req.head)
        return 200, entry.uuid, raw

    async def _rendered(self, entry: IndexEntry) -> Rendered | None:
        """The caller's tree for exactly ``entry``'s revision; None when the store holds
        another revision (or none) by now. Concurrent misses share one read (loader.py)."""
        rendered = await asyncio.shield(self.loader.load(entry))
        if rendered is None or not rendered.is_current(entry):
            return None
        current = self.index.entries.get(entry.uuid)
        if current is not None and rendered.is_current(current):
            self.cache.put(rendered)
        return rendered

    async def _store(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store call in the pool, timing it for the metrics."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            result = await loop.run_in_executor(self.pool, lambda: call(*args, **kwargs))
        except StoreError:
            self.metrics.store_call(time.perf_counter() - started, failed=True)
            raise
        self.metrics.store_call(time.perf_counter() - started, failed=False)
        return result

    async def _write(self, uuid: str, call: Callable[..., T], *args: Any) -> T:
        """Run a store write for one instance in the write pool: one per instance at a time
        (others wait their turn without holding a thread), and never past ``store_timeout``
        from now (time spent waiting counts), so a write is never committed after the guest
        stopped waiting for the answer."""
        deadline = time.monotonic() + self.settings.store_timeout
        lock, users = self._writing.get(uuid) or (asyncio.Lock(), 0)
        self._writing[uuid] = (lock, users + 1)

        def bounded() -> T:
            left = deadline - time.monotonic()
            if left < 0.05:
                raise StoreError("the store was too busy to take the write in time")
            return call(*args, timeout=left)

        started = time.perf_counter()
        try:
            # Only the wait for the turn is cut short here: the write itself is bounded by
            # the store (its lock timeout), so a cancelled await can never outlive a commit.
            async with asyncio.timeout(self.settings.store_timeout):
                await lock.acquire()
        except TimeoutError:
            self.metrics.store_call(time.perf_counter() - started, failed=True)
            self._forget_lock(uuid, lock)
            raise StoreError("the store was too busy to take the write in time") from None
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.writes, bounded)
        except StoreError:
            self.metrics.store_call(time.perf_counter() - started, failed=True)
            raise
        finally:
            lock.release()
            self._forget_lock(uuid, lock)
        self.metrics.store_call(time.perf_counter() - started, failed=False)
        return result

    def _forget_lock(self, uuid: str, lock: asyncio.Lock) -> None:
        """One user of the instance's write lock is done; the last one drops it."""
        held = self._writing.get(uuid)
        if held is not None and held[0] is lock:
            if held[1] <= 1:
                del self._writing[uuid]
            else:
                self._writing[uuid] = (lock, held[1] - 1)

    def _store_failed(self, err: StoreError, req: Request) -> Answer:
        self.warn.log(logging.ERROR, "store-call", "store call failed reason=%s", err.message)
        return 503, None, self._unavailable(req)

    # -- password ----------------------------------------------------------------------------

    def _password(self, req: Request, entry: IndexEntry) -> Result:
        uuid = entry.uuid
        if req.method in _READ:
            if uuid in self.passwords:
                return 200, uuid, _password_answer(self.passwords[uuid], req.head)
            return self._read_password(req, uuid)
        if req.method != "POST":
            return 400, uuid, _text(400, "only GET and POST are allowed on password")
        body = req.body
        if len(body) > self.settings.max_password_size:
            self.metrics.count("pw:too-large")
            return (
                400,
                uuid,
                _text(400, f"password longer than {self.settings.max_password_size} bytes"),
            )
        if not body.strip():
            # An empty value would read back as "unset" yet lock the endpoint for good.
            self.metrics.count("pw:empty")
            return 400, uuid, _text(400, "an empty password cannot be stored")
        return self._post_password(req, uuid, body)

    async def _read_password(self, req: Request, uuid: str) -> Answer:
        epoch = self._epoch
        try:
            value = await self._store(self.feed.password, uuid)
        except StoreError as err:
            return self._store_failed(err, req)
        if epoch == self._epoch:
            self.passwords[uuid] = value
        return 200, uuid, _password_answer(value, req.head)

    async def _post_password(self, req: Request, uuid: str, body: bytes) -> Answer:
        try:
            accepted = await self._write(uuid, self.repo.store_password, uuid, body)
        except NotFound:
            return 404, uuid, _text(404, "not found")
        except StoreError as err:
            self.metrics.count("pw:unavailable")
            self.warn.log(
                logging.ERROR, "password-store", "password not stored reason=%s", err.message
            )
            return 503, uuid, self._unavailable(req)
        self._catch_up()
        if not accepted:
            self.metrics.count("pw:conflict")
            return 409, uuid, _text(409, "password already set")
        self.metrics.count("pw:stored")
        log.info("password stored instance=%s bytes=%d", uuid, len(body))
        return 200, uuid, response(200)

    # -- guest reports -----------------------------------------------------------------------

    def _report(self, req: Request, entry: IndexEntry, kind: str) -> Result:
        uuid = entry.uuid
        if req.method != "POST":
            return 405, uuid, _text(405, "use POST", head=req.head, Allow="POST")
        parsed = parse_report(kind, req.headers.get("content-type", ""), req.body)
        if isinstance(parsed, tuple):
            status, message = parsed
            return status, uuid, _text(status, message)
        return self._store_report(req, uuid, kind, parsed)

    async def _store_report(
        self, req: Request, uuid: str, kind: str, body: dict[str, Any]
    ) -> Answer:
        try:
            stored = await self._write(uuid, self.repo.reports.store, uuid, kind, body)
        except StoreError as err:
            return self._store_failed(err, req)
        if not stored:
            return 404, uuid, _text(404, "not found")
        log.info("report received instance=%s kind=%s bytes=%d", uuid, kind, len(req.body))
        return 204, uuid, response(204)

    # -- tokens, refusals ----------------------------------------------------------------------

    def _token(self, req: Request, entry: IndexEntry, via: Via) -> Answer:
        uuid = entry.uuid
        if req.method != "PUT":
            return 405, uuid, _text(405, "use PUT", head=req.head, Allow="PUT")
        if FORWARDED_HEADER in req.headers and via == "address":
            # Like AWS: a token request that went through a proxy we do not trust is refused
            # (a signed or trusted proxy is the one way in that may forward it).
            return 403, uuid, _text(403, "forbidden")
        ttl = imdsv2.parse_ttl(req.headers.get(imdsv2.TTL_HEADER), MAX_TOKEN_TTL)
        if ttl is None:
            return (
                400,
                uuid,
                _text(
                    400, f"X-aws-ec2-metadata-token-ttl-seconds must be digits, 1..{MAX_TOKEN_TTL}"
                ),
            )
        token = self.tokens.issue(uuid, ttl)
        return 200, uuid, response(200, token, headers={imdsv2.TTL_HEADER: str(ttl)})

    def _token_ok(self, headers: dict[str, str], uuid: str) -> bool:
        token = headers.get(imdsv2.TOKEN_HEADER)
        if token is None:
            return self.settings.token_mode is TokenMode.OPTIONAL
        return self.tokens.is_valid(token, uuid)

    def _refuse(self, refusal: Refusal, req: Request) -> bytes:
        log.debug("refused status=%d reason=%s", refusal.status, refusal.reason)
        text = {400: "bad request", 403: "forbidden"}.get(refusal.status, "not found")
        return _text(refusal.status, text, head=req.head)

    def _unavailable(self, req: Request) -> bytes:
        return _text(
            503,
            "the metadata store is unavailable; retry shortly",
            head=req.head,
            Retry_After=str(RETRY_AFTER),
        )


def _password_answer(value: bytes | None, head: bool) -> bytes:
    return response(200, value or b"", head=head)


def create_app(
    repo: SqlInstanceRepo, settings: ServerSettings, metrics: Metrics | None = None
) -> MetadataApp:
    return MetadataApp(repo, settings, metrics or Metrics())
