"""A small real metadata service on 127.0.0.1 for the agent's tests (stdlib http.server):
serves a ``render_http`` tree, the password endpoint (write-once, 409 after), IMDSv2 tokens,
and switches to misbehave (status, delay)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "tok-0123456789abcdef"


@dataclass
class Behaviour:
    tree: dict[str, bytes]
    password: bytes = b""
    tokens: str = "optional"  # optional | required | none
    fail_status: int | None = None
    delay: float = 0.0
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def _handler(state: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _path(self) -> str:
            return self.path.split("?", 1)[0].strip("/")

        def _send(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _common(self, method: str) -> bool:
            state.requests.append((method, self._path(), dict(self.headers)))
            if state.delay:
                time.sleep(state.delay)
            if state.fail_status is not None:
                self._send(state.fail_status, b"failing on purpose")
                return False
            return True

        def do_GET(self) -> None:
            if not self._common("GET"):
                return
            path = self._path()
            is_ec2 = not path.startswith("openstack")
            has_token = self.headers.get("X-aws-ec2-metadata-token") == TOKEN
            if is_ec2 and state.tokens == "required" and not has_token:
                self._send(401)
                return
            if path.startswith("openstack/") and path.endswith("/password"):
                self._send(200, state.password)
                return
            body = state.tree.get(path)
            self._send(404 if body is None else 200, body or b"")

        def do_PUT(self) -> None:
            if not self._common("PUT"):
                return
            if self._path() == "latest/api/token" and state.tokens != "none":
                self._send(200, TOKEN.encode())
            else:
                self._send(405 if state.tokens == "none" else 404)

        def do_POST(self) -> None:
            if not self._common("POST"):
                return
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if not self._path().endswith("/password"):
                self._send(404)
            elif state.password:
                self._send(409)
            elif len(body) > 1020:
                self._send(400)
            else:
                state.password = body
                self._send(200)

    return Handler


@dataclass
class Running:
    url: str
    behaviour: Behaviour


class _Ipv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextmanager
def serve(tree: dict[str, bytes], *, bind=("127.0.0.1", 0), **switches) -> Iterator[Running]:
    behaviour = Behaviour(tree=tree, **switches)
    cls = _Ipv6Server if ":" in bind[0] else ThreadingHTTPServer
    server = cls(bind, _handler(behaviour))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        shown = f"[{host}]" if ":" in host else host
        yield Running(f"http://{shown}:{port}", behaviour)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def closed_port() -> Iterator[str]:
    """A URL on which nothing listens (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}"
