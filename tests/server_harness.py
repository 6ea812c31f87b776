"""A real metadata service on 127.0.0.1:<random port>, in a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from wincloud.server.run import Service
from wincloud.server.settings import Freshness, Listen, ServerSettings
from wincloud.store import SqlInstanceRepo


@dataclass
class RunningServer:
    service: Service
    url: str
    admin_url: str | None

    def client(self, source: str = "127.0.0.1", **kwargs) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=source)
        return httpx.Client(base_url=self.url, transport=transport, timeout=10, **kwargs)


@contextmanager
def running_server(
    repo: SqlInstanceRepo,
    settings: ServerSettings | None = None,
    *,
    admin: bool = False,
    strict_pg: bool = True,
) -> Iterator[RunningServer]:
    settings = settings or ServerSettings()
    overrides = {
        "listen": Listen("127.0.0.1", 0),
        "admin_listen": Listen("127.0.0.1", 0) if admin else None,
    }
    if strict_pg and repo.engine.dialect.name == "postgresql":
        # Tests write through the repo and read at once: on PostgreSQL only strict freshness
        # promises that (notify mode has its own tests, which wait for the notification).
        overrides["freshness"] = Freshness.STRICT
    settings = ServerSettings(**{**settings.__dict__, **overrides})
    service = Service(repo, settings)
    ready: list[list[tuple[str, int]]] = []
    thread = threading.Thread(target=service.run, args=(ready.append,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not ready and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not ready:
        service.stop()
        raise RuntimeError("metadata service did not start within 10 s")
    (host, port), *rest = ready[0]
    admin_url = f"http://{rest[0][0]}:{rest[0][1]}" if rest else None
    try:
        yield RunningServer(service, f"http://{host}:{port}", admin_url)
    finally:
        service.stop()
        thread.join(timeout=10)
