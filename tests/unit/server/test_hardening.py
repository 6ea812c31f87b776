"""A hostile guest cannot take the service down for others, nor make it leak or log a flood."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sqlite3
import threading
import time

import pytest

from tests.server_harness import running_server
from wincloud.server.accesslog import AccessLog, escape
from wincloud.server.app import create_app
from wincloud.server.cache import Rendered, TreeCache
from wincloud.server.settings import ServerSettings
from wincloud.store.changes import ChangeFeed
from wincloud.tree import render_http

REPORT_PATH = "/openstack/latest/wincloud/activation"


def raw_connect(url: str, source: str = "127.0.0.1") -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0))
    return sock


def read_until_closed(sock: socket.socket, seconds: float = 5.0) -> bytes:
    """Everything the server sends until it closes (bounded: ``seconds``)."""
    sock.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"server kept the connection open for {seconds} s") from None
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"server kept the connection open for {seconds} s")


def test_a_request_that_never_finishes_its_headers_is_cut_off(repo, local_instance):
    with running_server(repo, ServerSettings(header_timeout=0.5)) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n")
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_a_silent_connection_is_closed(repo, local_instance):
    with running_server(repo, ServerSettings(header_timeout=0.5)) as srv:
        sock = raw_connect(srv.url)
        assert read_until_closed(sock) == b""


def test_an_idle_keep_alive_connection_is_closed(repo, local_instance):
    with running_server(repo, ServerSettings(idle_timeout=0.5)) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 200")
        assert answer.endswith(local_instance.hostname.encode())


def test_one_client_holds_at_most_its_cap_and_others_are_still_served(repo, local_instance):
    settings = ServerSettings(max_connections_per_client=4)
    with running_server(repo, settings) as srv:
        hostile = [raw_connect(srv.url, "127.0.0.2") for _ in range(12)]
        time.sleep(0.3)
        closed = 0
        for sock in hostile:
            sock.settimeout(0.5)
            try:
                closed += sock.recv(1) == b""
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed += 1
        assert closed == 8
        with srv.client("127.0.0.1") as good:
            assert good.get("/latest/meta-data/hostname").text == local_instance.hostname
        for sock in hostile:
            sock.close()


def test_when_full_idle_connections_make_room_for_a_new_guest(repo, local_instance):
    settings = ServerSettings(max_connections=6, max_connections_per_client=100)
    with running_server(repo, settings) as srv:
        idle = []
        for _ in range(6):
            sock = raw_connect(srv.url, "127.0.0.2")
            sock.sendall(b"GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 404")  # 127.0.0.2 is nobody
            idle.append(sock)
        with srv.client("127.0.0.1") as good:
            assert good.get("/latest/meta-data/hostname").text == local_instance.hostname
        evicted = 0
        for sock in idle:
            sock.settimeout(2)
            with contextlib.suppress(TimeoutError, ConnectionResetError):
                evicted += sock.recv(1) == b""
            sock.close()
        assert evicted >= 1


def test_deeply_nested_json_in_a_report_is_a_400(repo, local_instance, caplog):
    body = b"[" * 2000 + b"]" * 2000
    with running_server(repo) as srv, srv.client() as c:
        response = c.post(REPORT_PATH, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert "nested" in response.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_report_with_a_lone_surrogate_is_a_400(repo, local_instance):
    body = b'{"version": 1, "license_status": "\\ud800"}'
    with running_server(repo) as srv, srv.client() as c:
        response = c.post(REPORT_PATH, content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400


def test_a_guest_that_leaves_mid_password_stores_nothing_and_logs_no_error(
    repo, local_instance, caplog
):
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(
            b"POST /openstack/latest/password HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 300\r\n\r\n" + b"A" * 40
        )
        sock.close()
        time.sleep(0.2)
        with srv.client() as c:
            assert c.get("/openstack/latest/password").content == b""
            assert c.post("/openstack/latest/password", content=b"c2VjcmV0").status_code == 200
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("ttl", ["+5", "1_0", "5.0", "0x10", "\u0665", "-1", "", "9" * 8])
def test_the_token_ttl_takes_plain_digits_only(repo, local_instance, ttl):
    with running_server(repo) as srv, srv.client() as c:
        headers = {"X-aws-ec2-metadata-token-ttl-seconds": ttl.encode()}
        assert c.put("/latest/api/token", headers=headers).status_code == 400


def test_access_log_escapes_what_a_guest_controls(tmp_path):
    target = tmp_path / "access.log"
    access = AccessLog(str(target))
    forged = "/x status=200 instance=victim\n2026-01-01T00:00:00.000Z access client=10.0.0.9"
    access.add("127.0.0.1", "GET", forged, 404, None)
    access.close()
    lines = target.read_text().splitlines()
    assert len(lines) == 1
    assert lines[0].count(" status=") == 1
    assert "\\x0a" in lines[0] and "\\x20" in lines[0]
    assert escape('a"b\\c\x1b') == "a\\x22b\\x5cc\\x1b"


def test_tree_cache_is_bounded_by_bytes(make_instance, repo):
    big = {"blob": "v" * 100_000}
    cache = TreeCache(max_items=100, max_bytes=1_000_000)
    for n in range(6):
        instance = make_instance(
            vendor_data=big, hostname=f"big-{n}", fixed_ips=[f"10.9.0.{n + 1}"]
        )
        stored = repo.add(instance)
        feed = ChangeFeed(repo.engine, repo.url)
        entry = feed.snapshot().entries[stored.instance.uuid]
        rendered = Rendered(instance, entry, render_http(instance))
        cache.put(rendered)
        for path in ("openstack/latest/vendor_data.json", "openstack/2013-10-17/vendor_data.json"):
            assert cache.response(rendered, path, False) is not None
        assert cache.bytes <= cache.max_bytes
    assert 1 <= len(cache) < 6
    assert cache.evictions >= 1
    assert cache.bytes == sum(r.size for r in cache._items.values())


def test_identity_is_by_uuid_only_even_when_a_record_goes_mid_request(repo, make_instance):
    """A record removed while its tree loads must never be replaced by the instance whose
    *name* is the caller's uuid."""
    caller = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    repo.add(make_instance(name=caller.uuid, fixed_ips=["127.0.0.3"], hostname="impostor"))
    app = create_app(repo, ServerSettings())
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        entry = app.index.entries[caller.uuid]
        assert repo.remove(caller.uuid)
        assert app.loader._read([entry]) == {(entry.uuid, entry.revision, entry.incarnation): None}
    finally:
        app.close()
        loop.close()


def test_a_password_post_gives_up_on_a_locked_database_and_stores_nothing(tmp_path, make_instance):
    from wincloud.store import open_repo

    path = tmp_path / "md.db"
    repo = open_repo(f"sqlite:///{path}", create=True)
    instance = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    settings = ServerSettings(store_timeout=0.3)
    with running_server(repo, settings) as srv, srv.client() as c:
        locker = sqlite3.connect(path, isolation_level=None, timeout=0)
        locker.execute("BEGIN IMMEDIATE")
        try:
            response = c.post("/openstack/latest/password", content=b"c2VjcmV0")
            assert response.status_code == 503
            assert response.headers["retry-after"]
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert c.get("/openstack/latest/password").content == b""
        assert c.post("/openstack/latest/password", content=b"c2VjcmV0").status_code == 200
    assert repo.get_password(instance.uuid) == b"c2VjcmV0"
    repo.close()


def test_a_password_post_to_a_deleted_database_file_is_refused(tmp_path, make_instance):
    from wincloud.store import open_repo

    path = tmp_path / "md.db"
    repo = open_repo(f"sqlite:///{path}", create=True)
    repo.add(make_instance(fixed_ips=["127.0.0.1"]))
    with running_server(repo) as srv, srv.client() as c:
        assert c.get("/openstack/latest/password").status_code == 200
        path.unlink()
        assert c.post("/openstack/latest/password", content=b"c2VjcmV0").status_code == 503
    repo.close()


def test_requests_keep_flowing_while_one_guest_waits_on_the_store(tmp_path, make_instance):
    """A store call runs off the event loop: other guests are answered meanwhile."""
    from wincloud.store import open_repo

    path = tmp_path / "md.db"
    repo = open_repo(f"sqlite:///{path}", create=True)
    first = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    repo.add(make_instance(fixed_ips=["127.0.0.2"], hostname="other"))
    settings = ServerSettings(store_timeout=2.0)
    with running_server(repo, settings) as srv:
        with srv.client("127.0.0.2") as other:
            assert other.get("/latest/meta-data/hostname").text == "other"
        locker = sqlite3.connect(path, isolation_level=None, timeout=0)
        locker.execute("BEGIN IMMEDIATE")
        posted: list[int] = []
        poster = threading.Thread(
            target=lambda: posted.append(
                srv.client("127.0.0.1")
                .post("/openstack/latest/password", content=b"eA==")
                .status_code
            )
        )
        poster.start()
        try:
            time.sleep(0.2)
            with srv.client("127.0.0.2") as other:
                assert other.get("/latest/meta-data/hostname").text == "other"
            assert poster.is_alive()  # still waiting for the lock
        finally:
            locker.execute("ROLLBACK")
            locker.close()
            poster.join(timeout=10)
        assert posted == [200]
    assert repo.get_password(first.uuid) == b"eA=="
    repo.close()


def test_unknown_sections_in_the_config_file_are_errors(tmp_path):
    from wincloud.errors import ConfigError
    from wincloud.server.settings import load_settings

    path = tmp_path / "md.toml"
    path.write_text('[metadata]\nlisten = "127.0.0.1:1"\n[metdata]\ntoken_mode = "required"\n')
    with pytest.raises(ConfigError, match="metdata"):
        load_settings(path)


def test_stored_json_of_a_report_round_trips(repo, local_instance):
    report = {"version": 1, "license_status": "Licensed"}
    with running_server(repo) as srv, srv.client() as c:
        response = c.post(REPORT_PATH, content=json.dumps(report))
        assert response.status_code == 415
        response = c.post(REPORT_PATH, json=report)
        assert response.status_code == 204


def test_headers_past_the_limit_are_refused_even_when_they_trickle(repo, local_instance):
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(b"GET /latest/meta-data/hostname HTTP/1.1\r\nX-Pad: ")
        for _ in range(40):
            try:
                sock.sendall(b"a" * 1024)
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.005)
        answer = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 431") or answer == b""


def test_a_large_body_after_small_headers_is_judged_by_its_length(repo, local_instance):
    with running_server(repo) as srv, srv.client() as c:
        response = c.post(
            REPORT_PATH, content=b"x" * 100_000, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert c.get("/latest/meta-data/hostname").text == local_instance.hostname


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/latest/meta-data/", b"X-aws-ec2-metadata-token: bogus\r\n", b"401"),
        ("/latest/api/token", b"", b"405"),
        (REPORT_PATH, b"", b"405"),
    ],
)
def test_a_refused_head_request_gets_no_body_and_the_next_answer_stays_in_step(
    repo, local_instance, path, headers, status
):
    """A HEAD answer carries headers only, refusals included: a body after a HEAD answer
    would be read by a keep-alive client as the start of the next response."""
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(
            f"HEAD {path} HTTP/1.1\r\nHost: x\r\n".encode()
            + headers
            + b"\r\nGET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answer = read_until_closed(sock)
        first, _, rest = answer.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 " + status), answer[:80]
        assert rest.startswith(b"HTTP/1.1 200"), answer
        assert rest.endswith(local_instance.hostname.encode())
