"""A CloudStack virtual router for the end-to-end tests: the metadata files of a folder on
port 80 (``latest/meta-data/...``, ``latest/user-data``) and the password server on port 8080,
which hands the password out until ``DomU_Request: saved_password`` acknowledges it.

    python sources_server.py HOST FOLDER PASSWORD [MODE]

Prints ``listening`` on standard error once both are bound, and ``acknowledged`` when the
password is acknowledged. MODE makes the password server hostile: ``silent`` (accepts, reads
the request, never answers), ``huge`` (answers 200 with 64 MiB, without a length),
``ack-error`` (hands the password out, answers the acknowledgement with HTTP 500)."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def main() -> None:
    host, folder, password = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    state = {"password": password}

    class Metadata(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = (folder / self.path.split("?", 1)[0].strip("/")).resolve()
            if folder.resolve() in path.parents and path.is_file():
                self.answer(200, path.read_bytes())
            else:
                self.answer(404, b"")

        def answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    class Passwords(Metadata):
        def do_GET(self) -> None:
            asked = self.headers.get("DomU_Request", "")
            print(f"password request {asked}", file=sys.stderr, flush=True)
            if mode == "silent":
                threading.Event().wait(300)  # the test's namespace teardown ends it first
                return
            if mode == "huge":
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                for _ in range(1024):
                    self.wfile.write(b"p" * 65536)
                return
            if mode == "ack-error" and asked == "saved_password":
                self.answer(500, b"")
                return
            if asked == "send_my_password":
                self.answer(200, (state["password"] or "saved_password").encode())
            elif asked == "saved_password":
                state["password"] = ""
                print("acknowledged", file=sys.stderr, flush=True)
                self.answer(200, b"saved_password")
            else:
                self.answer(200, b"bad_request")

    servers = [
        ThreadingHTTPServer((host, 80), Metadata),
        ThreadingHTTPServer((host, 8080), Passwords),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening", file=sys.stderr, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
