"""A metadata service that misbehaves, for the agent's failure drills.

    python garbage_server.py HOST PORT MODE META_DATA_JSON_FILE

MODE ``junk``: every GET answers 200 with bytes that are neither JSON nor a listing.
MODE ``half``: the OpenStack listing and a valid ``meta_data.json`` (the file given), but
``network_data.json`` is junk, so a reader that applied what it read before the bad file
would apply half an instance.
MODE ``raw``: not HTTP at all: junk bytes, then the connection is closed.
MODE ``silent``: connections are accepted and never answered (closed after 60 s).
Prints ``listening`` on standard error once bound.
"""

from __future__ import annotations

import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

JUNK = b"\x00\xffthis is not metadata {[<"


def http_handler(mode: str, meta_data: bytes) -> type[BaseHTTPRequestHandler]:
    class Garbage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].strip("/")
            body = JUNK
            if mode == "half":
                if path == "openstack":
                    body = b"2018-08-27\nlatest"
                elif path.endswith("meta_data.json"):
                    body = meta_data
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"garbage {self.command} {self.path}\n")

    return Garbage


class RawJunk(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sys.stderr.write("garbage connection\n")
        self.request.sendall(JUNK + b"\r\n\r\n")


class Silent(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sys.stderr.write("garbage connection\n")
        time.sleep(60)


class Threading(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    host, port, mode, meta_file = sys.argv[1:5]
    server: socketserver.TCPServer
    if mode in ("junk", "half"):
        server = HTTPServer((host, int(port)), http_handler(mode, Path(meta_file).read_bytes()))
    else:
        server = Threading((host, int(port)), RawJunk if mode == "raw" else Silent)
    sys.stderr.write("listening\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
