"""Admin API for hosts, history and reports: answers to wrong input; the gauges' collector."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.server_harness import running_server
from wincloud.licensing.metrics import LicensingCollector
from wincloud.secret import Secret
from wincloud.server.settings import ServerSettings
from wincloud.store import open_repo

TOKEN = "admin-token-0123456789abcdef"
HV1 = {"hostname": "hv1", "sockets": 2, "cores_per_socket": 8}


@pytest.fixture
def admin(repo):
    settings = ServerSettings(admin_token=Secret(TOKEN))
    with running_server(repo, settings, admin=True) as srv:
        with httpx.Client(base_url=srv.admin_url, timeout=10) as c:
            c.headers["Authorization"] = f"Bearer {TOKEN}"
            yield c


def test_host_crud_over_the_api(admin):
    assert admin.post("/v1/hosts", json=HV1).status_code == 201
    assert admin.post("/v1/hosts", json=HV1).status_code == 400  # already there
    assert admin.get("/v1/hosts/hv1").json()["cores_per_socket"] == 8
    assert admin.put("/v1/hosts/hv1", json={**HV1, "cluster": "c9"}).json()["cluster"] == "c9"
    assert [h["hostname"] for h in admin.get("/v1/hosts").json()] == ["hv1"]
    assert admin.delete("/v1/hosts/hv1").status_code == 204
    assert admin.get("/v1/hosts/hv1").status_code == 404
    assert admin.delete("/v1/hosts/hv1").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/hosts", {**HV1, "sockets": 0}, "sockets"),
        ("POST", "/v1/hosts", {**HV1, "cores": 3}, "cores"),
        ("PUT", "/v1/hosts/hv1", {**HV1, "hostname": "hv2"}, "hostname"),
    ],
)
def test_bad_host_bodies_answer_400_naming_the_field(admin, method, path, body, field):
    admin.post("/v1/hosts", json=HV1)
    answer = admin.request(method, path, json=body)
    assert answer.status_code == 400
    assert field in answer.json()["message"]


def test_put_of_an_unknown_host_is_404(admin):
    assert admin.put("/v1/hosts/nope", json={**HV1, "hostname": "nope"}).status_code == 404


def test_report_refuses_a_bad_month_or_format(admin):
    assert admin.get("/v1/licences/2026-13").status_code == 400
    assert admin.get("/v1/licences/2026-11", params={"format": "xml"}).status_code == 400


def test_history_of_an_instance_never_seen_is_404(admin):
    missing = admin.get("/v1/instances/0e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012/history")
    assert missing.status_code == 404


def test_empty_month_report_has_rules_and_zero_totals(admin):
    doc = admin.get("/v1/licences/2026-11").json()
    assert doc["hosts"] == [] and doc["projects"] == []
    assert doc["totals"]["recommended_cost"] == 0
    assert doc["rules"]["rules"]["pack_size"]["value"] == 2


# -- the collector -------------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _values(collector):
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in collector.collect()
        for s in family.samples
    }


def test_collector_serves_cached_figures_within_its_ttl(repo, make_instance):
    ticks = Ticks()
    collector = LicensingCollector(repo, ttl=30, monotonic=ticks)
    repo.add(make_instance(host="hv1", meta={"os_type": "windows"}))
    first = _values(collector)
    key = ("wincloud_windows_vms", (("activation", "no-report"), ("edition", "unknown")))
    assert first[key] == 1
    repo.add(make_instance(host="hv1", fixed_ips=[], meta={"os_type": "windows"}))
    assert _values(collector)[key] == 1  # cached
    ticks.t = 31
    assert _values(collector)[key] == 2


def test_collector_reports_down_when_the_store_is_gone(tmp_path, make_instance):
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    repo = open_repo(url, create=True)
    try:
        collector = LicensingCollector(repo, ttl=0, now=lambda: datetime.now(UTC))
        assert _values(collector)[("wincloud_licensing_up", ())] == 1
        (tmp_path / "gone.db").unlink()
        repo.engine.dispose()
        assert _values(collector) == {("wincloud_licensing_up", ()): 0}
    finally:
        repo.close()
