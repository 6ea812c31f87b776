"""A TCP forwarder on 127.0.0.1 that a test can cut and restore: a database outage (refused
connections, open ones reset) without stopping the PostgreSQL server other tests share."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Self

MAX_CONNECTIONS = 64  # bound on forwarded connections over the proxy's life
MAX_FREEZE_S = 30.0  # a frozen proxy forwards again after this, whatever the test does


class TcpProxy:
    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener: socket.socket | None = None
        self._accepted = 0
        self._flowing = threading.Event()
        self._flowing.set()
        self.port = 0

    def __enter__(self) -> Self:
        self.restore()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen (again, on the same port) and forward each connection to the target."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def cut(self) -> None:
        """Stop listening and reset every forwarded connection (the database "goes away")."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = [t for t in self._threads if t.is_alive()]

    def freeze(self) -> None:
        """Keep every connection open but forward nothing: a database that hangs."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._accepted < MAX_CONNECTIONS:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            self._accepted += 1
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            self._spawn(_pump, client, upstream, self._flowing)
            self._spawn(_pump, upstream, client, self._flowing)


def _pump(source: socket.socket, sink: socket.socket, flowing: threading.Event) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            flowing.wait(MAX_FREEZE_S)
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def proxied(host: str, port: int) -> Iterator[TcpProxy]:
    with TcpProxy((host, port)) as proxy:
        yield proxy
