"""The QMP client against a small QMP server on a unix socket (a thread speaking the protocol
as QEMU's docs describe it: greeting, capabilities, replies with ids, events in between)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest

from wincloud.errors import ImageError
from wincloud.image.build.qmp import QmpClient, QmpError


class FakeQmp:
    """Keeps every command it received; answers send-key, fails unknown commands."""

    def __init__(self, path: Path, *, events_before_reply: int = 0) -> None:
        self.path = path
        self.received: list[dict] = []
        self.events_before_reply = events_before_reply
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(1)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
            buffer = b""
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, _, buffer = buffer.partition(b"\n")
                    msg = json.loads(line)
                    self.received.append(msg)
                    for n in range(self.events_before_reply):
                        conn.sendall(
                            json.dumps({"event": "RESET", "data": {"n": n}}).encode() + b"\r\n"
                        )
                    if msg["execute"] in ("qmp_capabilities", "send-key", "cont"):
                        reply = {"return": {}, "id": msg["id"]}
                    else:
                        reply = {
                            "error": {"class": "CommandNotFound", "desc": "no such command"},
                            "id": msg["id"],
                        }
                    conn.sendall(json.dumps(reply).encode() + b"\r\n")
                    if msg["execute"] == "cont":
                        conn.sendall(b'{"event": "SHUTDOWN", "data": {"guest": true}}\r\n')


@pytest.fixture
def sock_path():
    import tempfile

    with tempfile.TemporaryDirectory(prefix="qmp-") as tmp:
        yield Path(tmp) / "qmp"


def test_connect_negotiates_and_send_key_reaches_the_server(sock_path):
    server = FakeQmp(sock_path)
    client = QmpClient.connect(sock_path, timeout=5)
    client.send_key("spc")
    client.close()
    assert server.received[0]["execute"] == "qmp_capabilities"
    assert server.received[1]["arguments"]["keys"] == [{"type": "qcode", "data": "spc"}]


def test_error_reply_raises_with_qemu_text(sock_path):
    FakeQmp(sock_path)
    client = QmpClient.connect(sock_path, timeout=5)
    with pytest.raises(QmpError, match="no such command"):
        client.execute("bogus")
    client.close()


def test_events_during_a_command_are_kept(sock_path):
    FakeQmp(sock_path, events_before_reply=2)
    client = QmpClient.connect(sock_path, timeout=5)
    client.execute("cont")
    deadline = time.monotonic() + 5
    events = client.take_events()
    while not any(e["event"] == "SHUTDOWN" for e in events) and time.monotonic() < deadline:
        client.pump(0.1)
        events += client.take_events()
    assert [e["event"] for e in events].count("RESET") >= 2
    assert events[-1]["event"] == "SHUTDOWN"
    client.close()


def test_no_server_is_an_image_error(sock_path):
    with pytest.raises(ImageError, match="cannot connect"):
        QmpClient.connect(sock_path, timeout=0.3)


def test_dead_server_stops_the_retries(sock_path):
    asked: list[bool] = []

    def alive() -> bool:
        asked.append(False)
        return False

    with pytest.raises(ImageError):
        QmpClient.connect(sock_path, timeout=30, alive=alive)
    assert len(asked) == 1
