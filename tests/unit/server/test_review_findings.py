"""What a hostile review of the new request path found, each kept fixed by a test."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
import time

import httpx
import pytest

from tests.server_harness import running_server
from tests.unit.server.test_hardening import raw_connect, read_until_closed
from wincloud.errors import ConfigError
from wincloud.secret import Secret
from wincloud.server.identify import sign_instance_id
from wincloud.server.run import Service
from wincloud.server.settings import ServerSettings, load_settings

SECRET = "proxy-shared-secret-0123456789"
REPORT = {"version": 1, "license_status": "Licensed"}


@pytest.fixture
def sqlite_repo(tmp_path):
    from wincloud.store import open_repo

    path = tmp_path / "md.db"
    repo = open_repo(f"sqlite:///{path}", create=True)
    yield repo, path
    repo.close()


def test_reports_waiting_on_a_lock_never_delay_a_password_past_its_deadline(
    sqlite_repo, make_instance
):
    repo, path = sqlite_repo
    poster = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    repo.add(make_instance(fixed_ips=["127.0.0.2"], hostname="noisy"))
    settings = ServerSettings(store_timeout=0.5)
    with running_server(repo, settings) as srv:
        locker = sqlite3.connect(path, isolation_level=None, timeout=0)
        locker.execute("BEGIN IMMEDIATE")
        noisy = [
            threading.Thread(
                target=lambda: srv.client("127.0.0.2").post(
                    "/openstack/latest/wincloud/activation", json=REPORT
                )
            )
            for _ in range(6)
        ]
        for thread in noisy:
            thread.start()
        time.sleep(0.1)
        try:
            with srv.client("127.0.0.1") as c:
                status = c.post("/openstack/latest/password", content=b"c2VjcmV0").status_code
        finally:
            time.sleep(1.0)
            locker.execute("ROLLBACK")
            locker.close()
            for thread in noisy:
                thread.join(timeout=10)
        assert status == 503
    assert repo.get_password(poster.uuid) is None  # never committed after the guest gave up


def test_a_proxy_that_proved_the_secret_is_not_capped_per_client(repo, make_instance):
    instance = repo.add(make_instance(fixed_ips=["10.0.0.77"])).instance
    settings = ServerSettings(proxy_shared_secret=Secret(SECRET), max_connections_per_client=4)
    headers = {
        "X-Instance-ID": instance.uuid,
        "X-Instance-ID-Signature": sign_instance_id(SECRET, instance.uuid),
    }
    with running_server(repo, settings) as srv:
        with srv.client("127.0.0.60") as first:
            assert first.get("/latest/meta-data/hostname", headers=headers).status_code == 200
        clients = [srv.client("127.0.0.60") for _ in range(10)]
        try:
            answers = [
                c.get("/latest/meta-data/hostname", headers=headers).status_code for c in clients
            ]
        finally:
            for c in clients:
                c.close()
    assert answers == [200] * 10


def test_a_client_that_never_reads_its_answers_is_cut_off(repo, make_instance):
    big = {"blob": "v" * 1_000_000}
    repo.add(make_instance(fixed_ips=["127.0.0.1"], vendor_data=big))
    settings = ServerSettings(idle_timeout=0.5, header_timeout=0.5)
    request = b"GET /openstack/latest/vendor_data.json HTTP/1.1\r\nHost: x\r\n\r\n"
    with running_server(repo, settings) as srv:
        sock = raw_connect(srv.url)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sock.sendall(request * 16)
        time.sleep(4)  # not reading: the server must give up on us
        received = 0
        sock.settimeout(10)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        sock.close()
    assert received < 16 * 1_000_000


def test_a_replaced_database_file_is_not_served_stale(sqlite_repo, make_instance, tmp_path):
    from wincloud.store import open_repo

    repo, path = sqlite_repo
    instance = repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="before")).instance
    with running_server(repo) as srv, srv.client() as c:
        assert c.get("/latest/meta-data/hostname").text == "before"
        copy = tmp_path / "copy.db"
        source = sqlite3.connect(path)
        target = sqlite3.connect(copy)
        source.backup(target)
        source.close()
        target.close()
        copy.replace(path)
        with open_repo(f"sqlite:///{path}") as other:
            other.update(instance.model_copy(update={"hostname": "after"}))
        response = c.get("/latest/meta-data/hostname")
        assert response.status_code == 503
        assert response.text != "before"


def test_zero_connections_per_client_is_refused_as_a_setting(tmp_path):
    path = tmp_path / "md.toml"
    path.write_text("[metadata]\nmax_connections_per_client = 0\n")
    with pytest.raises(ConfigError, match="max_connections_per_client"):
        load_settings(path)


def test_an_unwritable_access_log_is_a_config_error(repo, tmp_path):
    settings = ServerSettings(access_log=str(tmp_path / "no" / "such" / "dir" / "access.log"))
    with pytest.raises(ConfigError, match="access_log"):
        Service(repo, settings)


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n"
        b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
        b"CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
)
def test_an_upgrade_or_connect_request_gets_one_answer(repo, local_instance, request_head):
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(request_head)
        answer = read_until_closed(sock)
    assert answer.count(b"HTTP/1.1 ") == 1


def test_an_absolute_form_target_is_answered(repo, local_instance):
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(
            b"GET http://169.254.169.254/latest/meta-data/hostname HTTP/1.1\r\n"
            b"Host: 169.254.169.254\r\nConnection: close\r\n\r\n"
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200")
    assert answer.endswith(local_instance.hostname.encode())


def test_too_many_headers_are_refused(repo, local_instance):
    headers = b"".join(b"X-H%d: v\r\n" % n for n in range(300))
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 431")


@pytest.mark.parametrize("size", [17 * 1024, 120 * 1024])
def test_headers_past_the_limit_in_one_write_are_refused(repo, local_instance, size):
    # The 16 KiB head limit was counted on unfinished reads only: a whole head arriving in
    # one read was answered 200 at 120 KB
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(
            b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n"
            + b"X-Pad: "
            + b"a" * size
            + b"\r\n\r\n"
        )
        assert read_until_closed(sock).startswith(b"HTTP/1.1 431")


def test_many_headers_under_the_limit_are_answered(repo, local_instance):
    headers = b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(90))
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        sock.sendall(
            b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            + headers
            + b"\r\n"
        )
        assert read_until_closed(sock).startswith(b"HTTP/1.1 200")


def test_a_malformed_request_after_pipelined_ones_keeps_their_answers(repo, local_instance):
    with running_server(repo) as srv:
        sock = raw_connect(srv.url)
        good = b"GET /latest/meta-data/hostname HTTP/1.1\r\nHost: x\r\n\r\n"
        report = (
            b"POST /openstack/latest/wincloud/activation HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 44\r\n\r\n"
            b'{"version": 1, "license_status": "Licensed"}'
        )
        sock.sendall(good + report + b"GARBAGE\x00\r\n\r\n")
        answer = read_until_closed(sock)
    assert answer.count(b"HTTP/1.1 200") == 1
    assert answer.count(b"HTTP/1.1 204") == 1
    assert answer.count(b"HTTP/1.1 400") == 1


def test_the_admin_bearer_scheme_is_case_insensitive(repo, local_instance):
    settings = ServerSettings(admin_token=Secret("0123456789abcdef0123"))
    with running_server(repo, settings, admin=True) as srv:
        for scheme in ("Bearer", "bearer", "BEARER"):
            response = httpx.get(
                f"{srv.admin_url}/v1/instances",
                headers={"Authorization": f"{scheme} 0123456789abcdef0123"},
                timeout=5,
            )
            assert response.status_code == 200, scheme
        wrong = httpx.get(
            f"{srv.admin_url}/v1/instances", headers={"Authorization": "Basic x"}, timeout=5
        )
        assert wrong.status_code == 401


def test_an_empty_store_is_warned_about_at_start(repo, caplog):
    # serve on an empty store (a mistyped --db) started quietly: instances=0 at INFO only
    with caplog.at_level("WARNING", logger="wincloud"), running_server(repo):
        pass
    assert "the store holds no instance" in caplog.text
    assert repo.url in caplog.text


def test_a_store_with_records_starts_without_that_warning(repo, local_instance, caplog):
    with caplog.at_level("WARNING", logger="wincloud"), running_server(repo):
        pass
    assert "the store holds no instance" not in caplog.text
