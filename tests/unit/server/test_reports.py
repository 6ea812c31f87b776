"""The activation report endpoint (contract in docs/plugins.md) and its admin read-back."""

from __future__ import annotations

import httpx
import pytest

from tests.server_harness import running_server
from wincloud.secret import Secret
from wincloud.server.settings import ServerSettings

URL = "/openstack/latest/wincloud/activation"
TOKEN = "admin-token-0123456789abcdef"
REPORT = {
    "version": 1,
    "instance_id": "whatever-the-guest-read",
    "product": "Windows Server 2022 Datacenter",
    "edition": "ServerDatacenter",
    "build": 20348,
    "key_source": "avma",
    "kms_host": "",
    "activation": "failed",
    "license_status": "oob-grace",
    "partial_key": "3QFXX",
    "grace_minutes": 43200,
    "error_code": "0xC004F074",
    "error": "no KMS answered",
    "reported_at": "2026-11-25T10:00:00Z",
    "from_a_newer_agent": True,
}


@pytest.fixture
def both(repo, local_instance):
    settings = ServerSettings(admin_token=Secret(TOKEN))
    with running_server(repo, settings, admin=True) as srv:
        with srv.client() as guest, httpx.Client(base_url=srv.admin_url, timeout=10) as admin:
            admin.headers["Authorization"] = f"Bearer {TOKEN}"
            yield guest, admin


def test_report_is_stored_and_read_back_by_the_operator(both, local_instance):
    guest, admin = both
    assert guest.post(URL, json=REPORT).status_code == 204
    got = admin.get(f"/v1/instances/{local_instance.uuid}/activation").json()
    assert got["report"]["error_code"] == "0xC004F074"
    assert got["report"]["license_status"] == "oob-grace"
    assert "from_a_newer_agent" not in got["report"]
    assert got["received_at"]


def test_a_new_report_replaces_the_last(both, local_instance):
    guest, admin = both
    guest.post(URL, json=REPORT)
    newer = {**REPORT, "activation": "activated", "license_status": "licensed", "error_code": None}
    assert guest.post(URL, json=newer).status_code == 204
    got = admin.get(f"/v1/instances/{local_instance.uuid}/activation").json()["report"]
    assert got["license_status"] == "licensed"
    assert "error_code" not in got


def test_no_report_yet_reads_null(both, local_instance):
    _, admin = both
    assert admin.get(f"/v1/instances/{local_instance.uuid}/activation").json()["report"] is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({**REPORT, "version": 2}, 400),
        ({"version": 1}, 400),
        ({**REPORT, "error": "x" * 300}, 400),
        ({**REPORT, "activation": "maybe"}, 400),
    ],
)
def test_bad_reports_answer_400(both, body, status):
    guest, _ = both
    assert guest.post(URL, json=body).status_code == status


def test_not_json_answers_400_and_wrong_type_415(both):
    guest, _ = both
    headers = {"Content-Type": "application/json"}
    assert guest.post(URL, content=b"{nope", headers=headers).status_code == 400
    assert guest.post(URL, content=b"[1]", headers=headers).status_code == 400
    assert guest.post(URL, content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415


def test_too_large_answers_413(both):
    guest, _ = both
    big = b'{"version": 1, "license_status": "' + b"x" * 5000 + b'"}'
    response = guest.post(URL, content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_other_methods_answer_405(both):
    guest, _ = both
    assert guest.get(URL).status_code == 405


def test_unknown_caller_gets_404_and_nothing_is_stored(repo, local_instance):
    with running_server(repo) as srv, srv.client("127.0.0.9") as stranger:
        assert stranger.post(URL, json=REPORT).status_code == 404
    assert repo.reports.get(local_instance.uuid, "activation") is None


def test_unknown_report_kind_is_not_a_path(both):
    guest, _ = both
    assert guest.post("/openstack/latest/wincloud/other", json=REPORT).status_code == 405
