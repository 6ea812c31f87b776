"""The admin listener: health, metrics, and the bearer-token instance API."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import socket
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, instance_record
from tests.pg import fresh_database
from tests.server_harness import running_server
from tests.unit.store.tcpproxy import TcpProxy
from wincloud.agent.sealing import seal_password
from wincloud.secret import Secret
from wincloud.server.admin import create_admin_app, escape_for_log
from wincloud.server.settings import ServerSettings
from wincloud.store import open_repo

TOKEN = "admin-token-0123456789abcdef"


@pytest.fixture
def admin(repo, local_instance):
    settings = ServerSettings(admin_token=Secret(TOKEN))
    with running_server(repo, settings, admin=True) as srv:
        with httpx.Client(base_url=srv.admin_url, timeout=10) as c:
            c.headers["Authorization"] = f"Bearer {TOKEN}"
            yield srv, c


def test_healthz_is_ok(admin):
    _, c = admin
    assert c.get("/healthz").json()["status"] == "ok"


def test_metrics_count_requests(admin):
    srv, c = admin
    with srv.client() as guest:
        guest.get("/openstack/latest/meta_data.json")
        guest.get("/nope")
    text = c.get("/metrics").text
    assert 'wincloud_metadata_requests_total{api="openstack",status="200"} 1.0' in text
    assert 'wincloud_metadata_requests_total{api="ec2",status="404"} 1.0' in text


def test_api_requires_the_bearer_token(admin):
    srv, _ = admin
    with httpx.Client(base_url=srv.admin_url, timeout=10) as anon:
        assert anon.get("/v1/instances").status_code == 401
        wrong = anon.get("/v1/instances", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401


def test_api_is_disabled_without_a_token(repo, local_instance):
    with running_server(repo, ServerSettings(), admin=True) as srv:
        response = httpx.get(srv.admin_url + "/v1/instances", timeout=10)
        assert response.status_code == 403
        assert httpx.get(srv.admin_url + "/healthz", timeout=10).status_code == 200


def test_list_masks_admin_pass(admin, local_instance):
    _, c = admin
    items = c.get("/v1/instances").json()
    assert [i["uuid"] for i in items] == [local_instance.uuid]
    assert items[0]["admin_pass"] == "***"


def test_add_update_delete_round_trip(admin):
    srv, c = admin
    record = instance_record(fixed_ips=["127.0.0.2"], hostname="api-made")
    assert c.post("/v1/instances", json=record).status_code == 201
    with srv.client("127.0.0.2") as guest:
        assert guest.get("/latest/meta-data/hostname").text == "api-made"
    record["hostname"] = "api-changed"
    updated = c.put(f"/v1/instances/{record['uuid']}", json=record)
    assert updated.json()["revision"] == 2
    with srv.client("127.0.0.2") as guest:
        assert guest.get("/latest/meta-data/hostname").text == "api-changed"
    assert c.delete(f"/v1/instances/{record['uuid']}").status_code == 204
    assert c.get(f"/v1/instances/{record['uuid']}").status_code == 404


def test_bad_record_answers_400_naming_the_field(admin):
    _, c = admin
    response = c.post("/v1/instances", json=instance_record(hostname="bad_host!"))
    assert response.status_code == 400
    assert "hostname" in response.json()["message"]


def test_password_is_given_back_as_the_guest_posted_it(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        guest.post("/openstack/latest/password", content=b"c2VhbGVk\n")  # base64 text
    body = c.get(f"/v1/instances/{local_instance.uuid}/password").json()
    assert body == {"uuid": local_instance.uuid, "password_base64": "c2VhbGVk"}


def test_password_by_instance_name(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        guest.post("/openstack/latest/password", content=b"YWJj")
    body = c.get(f"/v1/instances/{local_instance.name}/password").json()
    assert body == {"uuid": local_instance.uuid, "password_base64": "YWJj"}


def test_password_that_is_not_text_is_given_as_bytes_too(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        guest.post("/openstack/latest/password", content=b"\xff\x00raw")
    body = c.get(f"/v1/instances/{local_instance.uuid}/password").json()
    assert body["password_base64"] is None
    assert base64.b64decode(body["posted_bytes_base64"]) == b"\xff\x00raw"


def test_password_pipes_into_password_decrypt(admin, repo, make_instance, tmp_path):
    srv, c = admin
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    inst = make_instance(fixed_ips=["127.0.0.3"], public_keys={"k": public.decode()})
    assert c.post("/v1/instances", json=inst.to_document(reveal=True)).status_code == 201
    with srv.client("127.0.0.3") as guest:
        sealed = seal_password(Secret("Piped-Pa55word!"), public.decode())
        assert guest.post("/openstack/latest/password", content=sealed).status_code == 200
    key = tmp_path / "id_rsa"
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    text = c.get(f"/v1/instances/{inst.uuid}/password").json()["password_base64"]
    done = subprocess.run(
        [sys.executable, "-m", "wincloud", "password", "decrypt", "--key", str(key)],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Piped-Pa55word!\n"


def test_operator_clears_the_password_and_the_guest_posts_again(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        assert guest.post("/openstack/latest/password", content=b"one").status_code == 200
        assert c.delete(f"/v1/instances/{local_instance.uuid}/password").status_code == 204
        assert guest.get("/openstack/latest/password").content == b""
        assert guest.post("/openstack/latest/password", content=b"two").status_code == 200
        assert guest.get("/openstack/latest/password").content == b"two"


# -- health ----------------------------------------------------------------------------------


def test_healthz_is_503_with_the_reason_when_the_sqlite_file_is_read_only(tmp_path, make_instance):
    path = tmp_path / "md.db"
    with open_repo(f"sqlite:///{path}", create=True) as repo:
        repo.add(make_instance(fixed_ips=["127.0.0.1"]))
        with running_server(repo, ServerSettings(), admin=True) as srv:
            assert httpx.get(srv.admin_url + "/healthz", timeout=10).status_code == 200
            path.chmod(0o444)
            try:
                down = httpx.get(srv.admin_url + "/healthz", timeout=10)
            finally:
                path.chmod(0o600)
            assert down.status_code == 503
            assert down.json()["status"] == "unavailable"
            assert "is read-only" in down.json()["reason"]
            assert httpx.get(srv.admin_url + "/healthz", timeout=10).status_code == 200


@pytest.mark.postgres
def test_healthz_is_503_during_a_database_outage_and_200_after(make_instance):
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set WINCLOUD_TEST_PG_URL")
    with fresh_database(PG_URL) as url:
        parsed = make_url(url)
        with TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432)) as proxy:
            via = parsed.set(host="127.0.0.1", port=proxy.port)
            with open_repo(via.render_as_string(hide_password=False)) as repo:
                repo.add(make_instance(fixed_ips=["127.0.0.1"]))
                with running_server(repo, ServerSettings(), admin=True) as srv:
                    proxy.cut()
                    down = httpx.get(srv.admin_url + "/healthz", timeout=30)
                    assert down.status_code == 503
                    assert "cannot reach the database" in down.json()["reason"]
                    proxy.restore()
                    assert httpx.get(srv.admin_url + "/healthz", timeout=30).status_code == 200


# -- bodies ----------------------------------------------------------------------------------


def _raw_request(admin_url: str, head: bytes, body_chunks=(), budget: int = 0) -> bytes:
    """Send ``head`` then body chunks (up to ``budget`` bytes, stopping once the server has
    answered); return what the server answered (bounded wait: 10 s of silence)."""
    host, port = admin_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        sent = 0
        sock.setblocking(False)
        for chunk in body_chunks:
            if sent >= budget:
                break
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # answered early
            except BlockingIOError:
                pass
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.setblocking(True)
        sock.settimeout(10)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while len(answer) < 65536:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
                if b"\r\n\r\n" in answer and b"}" in answer:
                    break
        return answer


def test_oversized_body_is_refused_by_its_length_before_it_is_read(admin):
    srv, _ = admin
    head = (
        b"POST /v1/instances HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 314572800\r\n\r\n{"
    )
    answer = _raw_request(srv.admin_url, head)  # the 300 MiB never come
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"body larger than 1048576 bytes" in answer


def test_oversized_chunked_body_is_refused_while_it_streams(admin):
    srv, _ = admin
    head = (
        b"POST /v1/instances HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunk = b"%x\r\n" % len(piece) + piece + b"\r\n"
    # 300 MiB offered; the answer must come after about 1 MiB, long before 16 MiB are sent.
    answer = _raw_request(srv.admin_url, head, [chunk] * 4800, budget=16 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested deeper than 64 levels"),
        (b'{"a":' * 70 + b"1" + b"}" * 70, "JSON nested deeper than 64 levels"),
        (b'{"name": "web\\ud800"}', "name: a lone surrogate"),
        (b'{"meta": {"k\\udfff": "v"}}', "lone surrogate"),
        (b'{"vendor_data": {"x": NaN}}', "NaN is not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[]", "body must be a JSON object"),
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_hostile_json_is_a_400_naming_the_problem(admin, local_instance, body, message, method):
    _, c = admin
    url = "/v1/instances" if method == "POST" else f"/v1/instances/{local_instance.uuid}"
    response = c.request(method, url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert c.get("/healthz").status_code == 200


# -- the access log --------------------------------------------------------------------------


def test_one_access_line_per_request_with_refused_logins_and_no_token(admin, caplog):
    srv, c = admin
    caplog.set_level(logging.INFO, logger="wincloud.server.admin.access")
    c.get("/v1/instances")
    with httpx.Client(base_url=srv.admin_url, timeout=10) as anon:
        anon.get("/v1/instances", headers={"Authorization": "Bearer guessed-token-123"})
    c.get("/healthz")
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("admin.access")]
    assert len(lines) == 3
    assert lines[0].startswith("admin request method=GET path=/v1/instances status=200 ")
    assert "status=401" in lines[1]
    assert "client=127.0.0.1" in lines[1]
    assert "path=/healthz status=200" in lines[2]
    text = caplog.text
    assert TOKEN not in text
    assert "guessed-token-123" not in text


def test_access_log_paths_cannot_forge_lines(admin, caplog):
    srv, _ = admin
    caplog.set_level(logging.INFO, logger="wincloud.server.admin.access")
    # h11 lets only visible ASCII through; quotes and backslashes are escaped all the same.
    head = b'GET /v1/"x\\y%0Astatus=200 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    answer = _raw_request(srv.admin_url, head)
    assert answer.startswith(b"HTTP/1.1 ")
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("admin.access")]
    assert len(lines) == 1
    assert "path=/v1/\\x22x\\x5cy%0Astatus=200 status=404 " in lines[0]
    assert lines[0].isprintable()


def test_escape_for_log_keeps_printable_ascii_only():
    assert escape_for_log(b"/a b\r\nstatus=200") == "/a\\x20b\\x0d\\x0astatus=200"


# -- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_describes_every_route(admin):
    srv, _ = admin
    doc = httpx.get(srv.admin_url + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    app = create_admin_app(srv.service.app)
    for route in app.routes:
        path = getattr(route, "path", "")
        for method in getattr(route, "methods", None) or ():
            if method == "HEAD":
                continue
            assert method.lower() in doc["paths"][path], (method, path)
    assert set(doc["paths"]) == {getattr(r, "path", "") for r in app.routes}


# -- writes refresh the service's index ------------------------------------------------------


class FakeService:
    """What create_admin_app uses of the metadata service, with a real store; counts
    refreshes."""

    def __init__(self, repo) -> None:
        self.repo = repo
        self.settings = ServerSettings(admin_token=Secret(TOKEN))
        self.cache: dict[str, object] = {}
        self.metrics = None
        self.refreshed = 0

    def refresh(self) -> None:
        self.refreshed += 1


def test_every_successful_write_refreshes_the_index_before_answering(repo):
    service = FakeService(repo)
    record = instance_record(fixed_ips=["127.0.0.9"])
    uuid = record["uuid"]

    async def scenario() -> list[tuple[int, int]]:
        transport = httpx.ASGITransport(app=create_admin_app(service))  # type: ignore[arg-type]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        seen = []
        async with httpx.AsyncClient(
            transport=transport, base_url="http://admin", headers=headers
        ) as c:
            for method, url, body in [
                ("POST", "/v1/instances", record),
                ("PUT", f"/v1/instances/{uuid}", record),
                ("DELETE", f"/v1/instances/{uuid}/password", None),
                ("DELETE", f"/v1/instances/{uuid}", None),
                ("POST", "/v1/instances", {"uuid": "x"}),
                ("DELETE", f"/v1/instances/{uuid}", None),
                ("GET", "/v1/instances", None),
            ]:
                response = await c.request(method, url, json=body)
                seen.append((response.status_code, service.refreshed))
        return seen

    assert asyncio.run(scenario()) == [
        (201, 1),
        (200, 2),
        (204, 3),
        (204, 4),
        (400, 4),
        (404, 4),
        (200, 4),
    ]
