"""The admin listener: health, metrics, and the bearer-token instance API."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import instance_record
from tests.server_harness import running_server
from wincloud.secret import Secret
from wincloud.server.settings import ServerSettings

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


def test_password_is_readable_by_the_operator(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        guest.post("/openstack/latest/password", content=b"abc")
    body = c.get(f"/v1/instances/{local_instance.uuid}/password").json()
    assert body["password_base64"] == "YWJj"


def test_password_by_instance_name(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        guest.post("/openstack/latest/password", content=b"abc")
    body = c.get(f"/v1/instances/{local_instance.name}/password").json()
    assert body == {"uuid": local_instance.uuid, "password_base64": "YWJj"}


def test_operator_clears_the_password_and_the_guest_posts_again(admin, local_instance):
    srv, c = admin
    with srv.client() as guest:
        assert guest.post("/openstack/latest/password", content=b"one").status_code == 200
        assert c.delete(f"/v1/instances/{local_instance.uuid}/password").status_code == 204
        assert guest.get("/openstack/latest/password").content == b""
        assert guest.post("/openstack/latest/password", content=b"two").status_code == 200
        assert guest.get("/openstack/latest/password").content == b"two"
