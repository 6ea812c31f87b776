"""Run the metadata listener (our own HTTP protocol on uvloop) and the admin listener
(Starlette under uvicorn) on one event loop; with ``workers > 1``, one process per worker on
SO_REUSEPORT sockets, the admin listener in the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import gc
import ipaddress
import logging
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import uvicorn

from wincloud.errors import ConfigError
from wincloud.secret import Secret
from wincloud.server.accesslog import AccessLog, RateLimitedLog
from wincloud.server.admin import create_admin_app
from wincloud.server.app import MetadataApp, create_app
from wincloud.server.http import Listener
from wincloud.server.metrics import SLOTS, Metrics, SharedRows
from wincloud.server.settings import Listen, ServerSettings
from wincloud.store import SqlInstanceRepo

log = logging.getLogger("wincloud.server")

RESERVED_FILES: Final = 256  # kept free of guest connections: database, logs, admin
SWEEP_S: Final = 0.5
PRUNE_S: Final = 300.0
GC_YOUNG: Final = 10_000  # allocations between young-generation collections (default 700)

OnReady = Callable[[list[tuple[str, int]]], None]
LISTEN_FLAG: Final = "--listen (or listen in the config file)"
ADMIN_FLAG: Final = "--admin-listen (or admin_listen in the config file)"


def raise_file_limit() -> int:
    """Raise the soft open-file limit to the hard limit (systemd's default soft limit of
    1,024 is far too low for a service that holds guests' connections); the new soft limit."""
    if sys.platform == "win32":  # pragma: no cover - the service runs on Linux
        return 8192
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def settle_heap() -> bool:
    """Tune the garbage collector for serving, when the service owns its process (runs on
    the main thread; a service run in another thread leaves its host's heap alone): what
    start-up built (modules, the index, the listeners) is frozen, so full collections no
    longer walk it again (in a cold boot storm, where rendering 1,000 trees allocates enough
    to trigger one, that walk cost ~50-90 ms of the core), and the young generation is
    collected every GC_YOUNG allocations instead of 700 (the storm's ~100 young and ~10
    middle collections cost another ~10-20 us per tree). No collection first: it would
    hold up the first guests by 35-60 ms, for the little garbage start-up leaves. True when
    the heap was tuned."""
    if threading.current_thread() is not threading.main_thread():
        return False
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, middle, old)
    return True


def connection_budget(settings: ServerSettings, file_limit: int) -> int:
    """How many guest connections one process holds at most: the configured number, never
    closer to the open-file limit than RESERVED_FILES."""
    ceiling = max(16, file_limit - RESERVED_FILES)
    wanted = settings.max_connections or ceiling
    return min(wanted, ceiling)


_BIND_HINTS: Final = {
    errno.EADDRINUSE: "another process listens there; stop it or choose another port "
    "(`ss -ltnp` shows who)",
    errno.EADDRNOTAVAIL: "the address is not on this host; add it first, e.g. "
    "`ip addr add 169.254.169.254/32 dev lo`, or listen on an address the host has",
    errno.EACCES: "ports below 1024 need root or CAP_NET_BIND_SERVICE "
    "(the systemd unit in packaging/ grants it)",
}


def ipv6_only(host: str) -> bool:
    """Whether a listener on this IPv6 address takes IPv6 clients only: all but "::", which
    means every address, IPv4 guests included (they arrive v4-mapped and are identified by
    their IPv4 address, as on Linux by default)."""
    try:
        return not ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name such as localhost
        return True


def bind(where: Listen, *, flag: str, reuse_port: bool = False) -> socket.socket:
    """A listening TCP socket, or ConfigError naming the flag and what to do."""
    try:
        infos = socket.getaddrinfo(where.host, where.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(
            f"cannot listen on {where} ({exc.strerror})", subject=flag, hint="use an IP address"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port and sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(ipv6_only(where.host)))
        sock.bind(address)
        sock.listen(4096)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {where} ({exc.strerror or exc})",
            subject=flag,
            hint=_BIND_HINTS.get(exc.errno or 0, "check the address and port"),
        ) from None
    return sock


class _AdminServer(uvicorn.Server):
    """uvicorn for the admin listener; signals are ours."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _admin_server(app: MetadataApp) -> _AdminServer:
    config = uvicorn.Config(
        create_admin_app(app),
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,
        http="h11",
        server_header=False,
        timeout_keep_alive=5,
    )
    return _AdminServer(config)


def _loop_factory() -> asyncio.AbstractEventLoop:
    if sys.platform == "win32":  # pragma: no cover - the service runs on Linux
        return asyncio.new_event_loop()
    import uvloop

    return uvloop.new_event_loop()


def _quiet_loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Errors a guest can cause at will (accept() failures under a connection flood, resets)
    are logged once per 10 s, not as a traceback each time."""
    warn = RateLimitedLog(log)

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        what = type(exc).__name__ if exc is not None else "-"
        warn.log(
            logging.WARNING,
            f"loop-{what}",
            "event loop error message=%s error=%s",
            str(context.get("message", ""))[:200],
            what,
        )

    loop.set_exception_handler(handler)


class Service:
    """The metadata service; ``run()`` blocks until ``stop()`` (from any thread) or a signal.

    ``repo_factory`` opens a fresh store connection; it is needed for ``workers > 1`` (each
    worker process opens its own after the fork)."""

    def __init__(
        self,
        repo: SqlInstanceRepo,
        settings: ServerSettings,
        *,
        repo_factory: Callable[[], SqlInstanceRepo] | None = None,
    ) -> None:
        if settings.workers > 1 and repo_factory is None:
            raise ConfigError("workers > 1 needs a store URL to reopen", subject="workers")
        if settings.workers > 1 and settings.listen.port == 0:
            # Each worker would bind a random port of its own, none of them announced.
            raise ConfigError(
                "port 0 (any free port) cannot be shared by several workers",
                subject=LISTEN_FLAG,
                hint="give the port to listen on, e.g. 127.0.0.1:8775, or use one worker",
            )
        if settings.workers > 1 and settings.token_key is None:
            # One random key for every worker (and a restarted one): a guest's next
            # connection may land on another worker, which must accept its token.
            settings = dataclasses.replace(settings, token_key=Secret(secrets.token_hex(32)))
        self.settings = settings
        self.repo = repo
        self.repo_factory = repo_factory
        self.app: MetadataApp = create_app(repo, settings)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stop_requested = False
        self.addresses: list[tuple[str, int]] = []
        self.file_limit = raise_file_limit()
        AccessLog(settings.access_log).close()  # an unwritable log file: ConfigError now

    # -- control ---------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop_requested = True
        loop, event = self._loop, self._stopping
        if loop is not None and event is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)

    def run(self, on_ready: OnReady | None = None) -> None:
        if self.settings.workers > 1:
            self._run_workers(on_ready)
            return
        with asyncio.Runner(loop_factory=_loop_factory) as runner:
            runner.run(self.serve(on_ready))

    # -- one process -------------------------------------------------------------------------

    async def serve(self, on_ready: OnReady | None = None) -> None:
        sock = bind(self.settings.listen, flag=LISTEN_FLAG)
        admin_sock = None
        try:
            if self.settings.admin_listen is not None:
                admin_sock = bind(self.settings.admin_listen, flag=ADMIN_FLAG)
            await self._serve(self.app, sock, admin_sock, on_ready)
        finally:
            sock.close()
            if admin_sock is not None:
                admin_sock.close()

    async def _serve(
        self,
        app: MetadataApp,
        sock: socket.socket | None,
        admin_sock: socket.socket | None,
        on_ready: OnReady | None,
        *,
        publish: Callable[[], None] | None = None,
    ) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopping = asyncio.Event()
        if self._stop_requested:
            self._stopping.set()
        _quiet_loop_errors(loop)
        access = AccessLog(self.settings.access_log)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
            if sys.platform != "win32":
                loop.add_signal_handler(signal.SIGHUP, access.reopen)  # after log rotation
        app.start(loop)
        listener = Listener(app, access, connection_budget(self.settings, self.file_limit))
        servers: list[asyncio.AbstractServer] = []
        addresses: list[tuple[str, int]] = []
        if sock is not None:
            servers.append(await loop.create_server(listener.factory, sock=sock, backlog=4096))
            addresses.append(_address(sock))
        admin: _AdminServer | None = None
        admin_task: asyncio.Task[None] | None = None
        if admin_sock is not None:
            admin = _admin_server(app)
            admin_task = loop.create_task(admin.serve(sockets=[admin_sock]))
            while not admin.started and not admin_task.done():
                await asyncio.sleep(0.01)
            addresses.append(_address(admin_sock))
        ticker = loop.create_task(self._tick(app, listener, access, publish))
        self.addresses = addresses
        settle_heap()
        log.info(
            "metadata service ready listen=%s max_connections=%d file_limit=%d",
            ",".join(f"{h}:{p}" for h, p in addresses),
            listener.max_connections,
            self.file_limit,
        )
        if on_ready is not None:
            on_ready(addresses)
        try:
            await self._stopping.wait()
        finally:
            for server in servers:
                server.close()
            for conn in list(listener.connections):
                conn.close()
            if admin is not None and admin_task is not None:
                admin.should_exit = True
                with contextlib.suppress(asyncio.CancelledError):
                    await admin_task
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            access.close()
            app.close()

    async def _tick(
        self,
        app: MetadataApp,
        listener: Listener,
        access: AccessLog,
        publish: Callable[[], None] | None,
    ) -> None:
        next_prune = time.monotonic() + PRUNE_S
        while True:
            await asyncio.sleep(SWEEP_S)
            app.poll()
            listener.sweep()
            access.flush()
            app.metrics.gauge("cached_trees", len(app.cache))
            app.metrics.gauge("cache_bytes", app.cache.bytes)
            for name in ("hits", "misses", "evictions"):
                app.metrics.values[SLOTS[f"cache:{name}"]] = getattr(app.cache, name)
            if publish is not None:
                publish()
            if time.monotonic() > next_prune:
                next_prune = time.monotonic() + PRUNE_S
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(app.pool, app.feed.prune)

    # -- several processes ---------------------------------------------------------------------

    def _run_workers(self, on_ready: OnReady | None) -> None:
        if sys.platform == "win32":  # pragma: no cover - the service runs on Linux
            raise ConfigError("workers > 1 needs Linux (fork, SO_REUSEPORT)", subject="workers")
        assert self.repo_factory is not None
        settings = self.settings
        # Every socket is bound before any worker starts: a clash is one error, no orphans.
        bind(settings.listen, flag=LISTEN_FLAG, reuse_port=True).close()
        admin_sock = None
        if settings.admin_listen is not None:
            admin_sock = bind(settings.admin_listen, flag=ADMIN_FLAG)
        rows = SharedRows(settings.workers)
        self.app.metrics.shared = rows
        self.repo.engine.dispose()  # children must not share the parent's connections
        children: dict[int, int] = {}  # pid -> worker number
        # Workers hold the read end of this pipe: it reads EOF when the parent is gone (even
        # killed with SIGKILL), and they stop.
        lifeline_r, lifeline_w = os.pipe()

        def spawn(number: int) -> None:
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                code = 0
                try:
                    os.close(lifeline_w)
                    if admin_sock is not None:
                        admin_sock.close()
                    self._worker(number, rows, lifeline_r)
                except BaseException:
                    log.exception("worker %d failed", number)
                    code = 1
                os._exit(code)
            children[pid] = number

        async def parent() -> None:
            for number in range(settings.workers):
                spawn(number)
            watch = asyncio.get_running_loop().create_task(self._watch_children(children, spawn))
            try:
                await self._serve(self.app, None, admin_sock, on_ready_with_listen)
            finally:
                watch.cancel()
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while children and time.monotonic() < deadline:
                    for pid in list(children):
                        with contextlib.suppress(ChildProcessError):
                            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                                children.pop(pid)
                    await asyncio.sleep(0.05)

        def on_ready_with_listen(addresses: list[tuple[str, int]]) -> None:
            if on_ready is not None:
                on_ready([(settings.listen.host, settings.listen.port), *addresses])

        try:
            with asyncio.Runner(loop_factory=_loop_factory) as runner:
                runner.run(parent())
        finally:
            for pid in children:  # whatever happened above, no worker outlives the parent
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            os.close(lifeline_w)
            os.close(lifeline_r)
            if admin_sock is not None:
                admin_sock.close()

    async def _watch_children(self, children: dict[int, int], spawn: Callable[[int], None]) -> None:
        if sys.platform == "win32":  # pragma: no cover - the service runs on Linux
            return
        while True:
            await asyncio.sleep(0.5)
            for pid in list(children):
                with contextlib.suppress(ChildProcessError):
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done == pid:
                        number = children.pop(pid)
                        log.error("worker %d exited status=%d; starting it again", number, status)
                        await asyncio.sleep(1.0)
                        spawn(number)

    def _worker(
        self, number: int, rows: SharedRows, lifeline: int
    ) -> None:  # pragma: no cover - child
        assert self.repo_factory is not None
        self._loop = None
        repo = self.repo_factory()
        metrics = Metrics()
        metrics.carry_on(rows.row(number))  # a restarted worker continues its counters
        app = create_app(repo, self.settings, metrics)
        sock = bind(self.settings.listen, flag=LISTEN_FLAG, reuse_port=True)

        async def main() -> None:
            asyncio.get_running_loop().add_reader(lifeline, self.stop)
            await self._serve(
                app, sock, None, None, publish=lambda: rows.publish(number, metrics.values)
            )

        with asyncio.Runner(loop_factory=_loop_factory) as runner:
            runner.run(main())
        repo.close()


def _address(sock: socket.socket) -> tuple[str, int]:
    host, port = sock.getsockname()[:2]
    return str(host), int(port)
