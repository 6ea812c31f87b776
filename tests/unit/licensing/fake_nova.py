"""A Nova + Glance API on 127.0.0.1 answering from JSON files in nova_responses/ (written from
the Nova and Glance API references, not recorded from a real cloud), for openstacksdk."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).parent / "nova_responses"


def _load(name: str) -> dict:
    return json.loads((HERE / name).read_text())


class Nova:
    """The responses, changeable by a test (a server moves, one is deleted)."""

    def __init__(self) -> None:
        self.servers = _load("servers_detail.json")["servers"]
        self.hypervisors = _load("hypervisors_detail.json")["hypervisors"]
        self.aggregates = _load("aggregates.json")["aggregates"]
        self.images = {i["id"]: i for i in _load("images.json")["images"]}
        self.requests: list[str] = []
        self.versions: list[str | None] = []


def _handler(nova: Nova, base: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: dict) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self):
            path = self.path.split("?", 1)[0].rstrip("/")
            nova.requests.append(self.path)
            nova.versions.append(self.headers.get("OpenStack-API-Version"))
            version = {
                "id": "v2.1",
                "status": "CURRENT",
                "version": "2.96",
                "min_version": "2.1",
                "links": [{"rel": "self", "href": f"{base[0]}/compute/v2.1/"}],
            }
            if path in ("/compute", ""):
                return self._send(200, {"versions": [version]})
            if path == "/compute/v2.1":
                return self._send(200, {"version": version})
            if path == "/compute/v2.1/servers/detail":
                return self._send(200, {"servers": nova.servers})
            if path == "/compute/v2.1/os-hypervisors/detail":
                return self._send(200, {"hypervisors": nova.hypervisors})
            if path == "/compute/v2.1/os-aggregates":
                return self._send(200, {"aggregates": nova.aggregates})
            if path in ("/image", "/image/v2"):
                link = {"rel": "self", "href": f"{base[0]}/image/v2/"}
                return self._send(
                    200, {"versions": [{"id": "v2.16", "status": "CURRENT", "links": [link]}]}
                )
            if path.startswith("/image/v2/images/"):
                image = nova.images.get(path.rsplit("/", 1)[1])
                if image is None:
                    return self._send(404, {"message": "image not found"})
                return self._send(200, image)
            return self._send(404, {"itemNotFound": {"message": path, "code": 404}})

    return Handler


@contextmanager
def fake_nova(nova: Nova) -> Iterator[str]:
    base: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(nova, base))
    base.append(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
