"""Run the metadata listener (and the admin listener, when configured) under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn

from wincloud.server.admin import create_admin_app
from wincloud.server.app import MetadataApp, create_app
from wincloud.server.settings import Listen, ServerSettings
from wincloud.store import InstanceRepo

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to us, so two can share one loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: Any, where: Listen) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=where.host,
        port=where.port,
        lifespan="off",
        log_config=None,
        access_log=False,
        proxy_headers=False,  # identification decides whom to trust (identify.py)
        # h11 bounds an incomplete request (headers included) at 16 KiB; uvicorn's httptools
        # protocol buffers headers without limit, so one guest could grow the service's memory.
        http="h11",
        server_header=False,
        timeout_keep_alive=5,
    )


def bound_address(server: uvicorn.Server) -> tuple[str, int]:
    sock = server.servers[0].sockets[0]
    host, port = sock.getsockname()[:2]
    return str(host), int(port)


class Service:
    """The metadata app and its listeners; ``run()`` blocks, ``stop()`` ends it."""

    def __init__(self, repo: InstanceRepo, settings: ServerSettings) -> None:
        self.app: MetadataApp = create_app(repo, settings)
        self.servers = [_Server(_config(self.app, settings.listen))]
        if settings.admin_listen is not None:
            admin = create_admin_app(self.app)
            self.servers.append(_Server(_config(admin, settings.admin_listen)))

    @property
    def started(self) -> bool:
        return all(s.started for s in self.servers)

    def addresses(self) -> list[tuple[str, int]]:
        return [bound_address(s) for s in self.servers]

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True

    async def serve(self, on_ready: Callable[[list[tuple[str, int]]], None] | None = None) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.stop)
        tasks = [asyncio.create_task(s.serve()) for s in self.servers]
        if on_ready is not None:
            while not self.started and not any(t.done() for t in tasks):
                await asyncio.sleep(0.01)
            if self.started:
                on_ready(self.addresses())
        await asyncio.gather(*tasks)

    def run(self, on_ready: Callable[[list[tuple[str, int]]], None] | None = None) -> None:
        asyncio.run(self.serve(on_ready))
