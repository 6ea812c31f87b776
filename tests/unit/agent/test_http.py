import contextlib
import socket
import threading

import httpx
import pytest

from wincloud.agent import http
from wincloud.errors import SourceUnavailable

from .mdserver import closed_port, serve


def client_answering(handler):
    return http.create_client(transport=httpx.MockTransport(handler))


def test_get_returns_body_on_200_and_none_on_404():
    client = client_answering(
        lambda r: httpx.Response(200 if r.url.path == "/a" else 404, content=b"A")
    )
    assert http.get(client, "http://md/a", timeout=1) == b"A"
    assert http.get(client, "http://md/b", timeout=1) is None


@pytest.mark.parametrize("status", [401, 500, 503])
def test_other_statuses_are_unavailable_naming_the_url(status):
    client = client_answering(lambda r: httpx.Response(status))
    with pytest.raises(SourceUnavailable) as info:
        http.get(client, "http://md/x", timeout=1)
    assert str(status) in str(info.value) and "http://md/x" in str(info.value)


def test_transport_errors_are_translated():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SourceUnavailable, match="refused"):
        http.get(client_answering(handler), "http://md/x", timeout=1)


def test_oversized_answers_are_refused():
    client = client_answering(lambda r: httpx.Response(200, content=b"x" * 11))
    with pytest.raises(SourceUnavailable, match="larger"):
        http.request(client, "GET", "http://md/x", timeout=1, max_body=10)


def test_proxies_from_the_environment_are_ignored(monkeypatch):
    with closed_port() as dead_proxy, serve({"x": b"direct"}) as running:
        monkeypatch.setenv("HTTP_PROXY", dead_proxy)
        monkeypatch.setenv("ALL_PROXY", dead_proxy)
        with http.create_client() as client:
            assert http.get(client, f"{running.url}/x", timeout=5) == b"direct"


def test_requests_say_who_we_are():
    seen = []
    client = client_answering(lambda r: seen.append(r.headers["user-agent"]) or httpx.Response(200))
    http.get(client, "http://md/", timeout=1)
    assert seen[0].startswith("wincloud-agent/")


@contextlib.contextmanager
def dripping_server(seconds: float = 10.0, every: float = 0.1):
    """A server on 127.0.0.1 that sends its headers at once, then one body byte every
    ``every`` seconds: each read is quick, the whole answer would take ``seconds``."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    stop = threading.Event()
    count = int(seconds / every)

    def drip():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        with conn:
            conn.recv(65536)
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {count}\r\n\r\n".encode()
            try:
                conn.sendall(head)
                for _ in range(count):
                    if stop.wait(every):
                        return
                    conn.sendall(b"x")
            except OSError:
                return

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_a_trickling_server_cannot_outlast_the_timeout():
    with dripping_server() as url, http.create_client() as client:
        with pytest.raises(SourceUnavailable) as info:
            http.get(client, f"{url}/meta_data.json", timeout=0.5)
    assert "within 0.5 s" in str(info.value)
    assert f"{url}/meta_data.json" in str(info.value)


def test_a_compressed_answer_is_refused_not_inflated():
    """A gzip bomb: 16 MiB of zeros in ~16 KiB; httpx would inflate a network chunk at a
    time past any size limit."""
    import gzip

    asked: list[str] = []
    bomb = gzip.compress(b"\0" * (16 * 1024 * 1024))

    def handler(request):
        asked.append(request.headers.get("accept-encoding", ""))
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=bomb)

    with pytest.raises(SourceUnavailable, match="compressed") as info:
        http.request(client_answering(handler), "GET", "http://md/pw", timeout=1, max_body=1024)
    assert asked == ["identity"]
    assert "http://md/pw" in str(info.value)


def test_an_identity_answer_is_read_as_sent():
    client = client_answering(
        lambda r: httpx.Response(200, headers={"Content-Encoding": "identity"}, content=b"ok")
    )
    assert http.get(client, "http://md/x", timeout=1) == b"ok"


def test_a_protocol_error_does_not_quote_what_the_server_sent():
    """A server that forgot the blank line after its headers puts its body where a header
    line should be; the HTTP parser's message quotes it (a password, from a password server)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def answer():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nS3cret-Passw0rd!\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        with http.create_client() as client, pytest.raises(SourceUnavailable) as info:
            http.get(client, f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=5)
    finally:
        thread.join(5)
        listener.close()
    assert "S3cret" not in str(info.value)
    assert "ProtocolError" in str(info.value)
