"""End to end through the real service: records, hosts and moves over the admin API,
activation reports posted by guests over HTTP, then the report in every format (admin API and
CLI), the CSV re-read and its totals checked; the history and the gauges read back."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import instance_record
from tests.server_harness import running_server
from wincloud.cli import cli
from wincloud.secret import Secret
from wincloud.server.settings import ServerSettings
from wincloud.store import SqlInstanceRepo

TOKEN = "admin-token-0123456789abcdef"
REPORT_URL = "/openstack/latest/wincloud/activation"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _report(edition, key_source, activation="activated", status="licensed"):
    return {
        "version": 1,
        "edition": edition,
        "build": 20348,
        "key_source": key_source,
        "activation": activation,
        "license_status": status,
    }


@pytest.fixture
def world(repo, db_url):
    """The service over a repo whose writes are stamped by a clock set inside this month."""
    now = datetime.now(UTC)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    span = now - month_start
    clock = Clock(month_start + span * 0.1)
    clocked = SqlInstanceRepo(repo.engine, db_url, clock=clock)
    settings = ServerSettings(admin_token=Secret(TOKEN))
    with running_server(clocked, settings, admin=True) as srv:
        with httpx.Client(base_url=srv.admin_url, timeout=10) as admin:
            admin.headers["Authorization"] = f"Bearer {TOKEN}"
            yield srv, admin, clock, month_start + span * 0.5, f"{now:%Y-%m}"


VMS = {
    # name: (source address, host, report or None)
    "a": ("127.0.0.2", "hv1", _report("ServerStandard", "kms-client")),
    "b": ("127.0.0.3", "hv2", _report("ServerDatacenter", "avma")),
    "c": ("127.0.0.4", "hv1", _report("ServerStandard", "meta")),
    "d": ("127.0.0.5", "hv1", _report("Professional", "kms-client")),
    "e": ("127.0.0.6", "hv1", None),
    "f": ("127.0.0.7", "hv2", _report("ServerStandard", "kms-client", "failed", "oob-grace")),
}


def _populate(srv, admin, clock, move_at):
    for name in ("hv1", "hv2"):
        doc = {"hostname": name, "sockets": 1, "cores_per_socket": 16, "cluster": "c1"}
        assert admin.post("/v1/hosts", json=doc).status_code == 201
    put = admin.put("/v1/hosts/hv2", json={**doc, "licence": "standard", "licensed_vms": 2})
    assert put.status_code == 200
    uuids = {}
    for name, (address, host, report) in VMS.items():
        record = instance_record(
            name=f"vm-{name}",
            fixed_ips=[address],
            host=host,
            vcpus=2,
            project_id="p1",
            meta={"os_type": "windows"},
        )
        assert admin.post("/v1/instances", json=record).status_code == 201, record
        uuids[name] = record["uuid"]
        if report is not None:
            with srv.client(source=address) as guest:
                assert guest.post(REPORT_URL, json=report).status_code == 204
    clock.now = move_at
    moved = admin.get(f"/v1/instances/{uuids['a']}").json()
    moved.pop("revision")
    moved["admin_pass"] = "S3cret-Admin!"
    moved["host"] = "hv2"
    assert admin.put(f"/v1/instances/{uuids['a']}", json=moved).status_code == 200
    assert admin.delete(f"/v1/instances/{uuids['e']}").status_code == 204
    return uuids


def _sections(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    by: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by.setdefault(row["section"], []).append(row)
    return by


def test_records_and_reports_through_the_service_make_the_report(world, db_url):
    srv, admin, clock, move_at, month = world
    uuids = _populate(srv, admin, clock, move_at)

    # -- the CSV from the admin API, re-read --------------------------------------------------
    answer = admin.get(f"/v1/licences/{month}", params={"format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    s = _sections(answer.text)
    totals = {row["name"]: row["value"] for row in s["total"]}
    assert {row["name"]: row["value"] for row in s["period"]}["month"] == month
    assert all(row["detail"] for row in s["rule"])  # every rule states its source
    hosts = {row["hostname"]: row for row in s["host"]}
    # hv1: a (until the move) and e; hv2: b, f, then a. Cluster c1 saw a move: both hosts
    # counted at the cluster's peak, 4 (a, b, f on hv2 and e on hv1 after the move).
    assert (hosts["hv1"]["peak_vms"], hosts["hv2"]["peak_vms"]) == ("2", "3")
    assert (hosts["hv1"]["counted_vms"], hosts["hv2"]["counted_vms"]) == ("4", "4")
    # 16 cores = 8 packs; 4 VMs = 2 Standard licensings = 16 packs (2138.00) < Datacenter 6155
    assert [hosts[h]["standard_packs"] for h in ("hv1", "hv2")] == ["16", "16"]
    assert [hosts[h]["recommended"] for h in ("hv1", "hv2")] == ["Standard", "Standard"]
    assert hosts["hv2"]["over_licence"] == "yes"
    projects = {(r["project_id"], r["edition"]): r for r in s["project"]}
    assert {k: int(v["instances"]) for k, v in projects.items()} == {
        ("p1", "Datacenter"): 1,
        ("p1", "Standard"): 2,
        ("p1", "unknown"): 1,
    }
    assert [r["uuid"] for r in s["customer_key"]] == [uuids["c"]]
    assert [r["uuid"] for r in s["desktop"]] == [uuids["d"]]
    flags = {(r["uuid"], r["flag"]) for r in s["flag"]}
    assert flags == {(uuids["e"], "no-activation-report"), (uuids["f"], "activation-failed")}
    # totals are the sums of the lines
    hours = sum(float(r["instance_hours"]) for r in s["project"])
    assert abs(hours - float(totals["instance_hours"])) <= 0.01 * len(s["project"])
    assert hours > 0
    vcpu = sum(float(r["vcpu_hours"]) for r in s["project"])
    assert abs(vcpu - 2 * hours) <= 0.05
    assert int(totals["windows_server_instances"]) == 4
    assert int(totals["recommended_standard_packs"]) == sum(
        int(r["standard_packs"]) for r in s["host"] if r["recommended"] == "Standard"
    )
    assert float(totals["recommended_cost"]) == 2 * 2138.0
    assert (totals["customer_key_instances"], totals["desktop_instances"]) == ("1", "1")
    assert totals["hosts_over_standard_licence"] == "1"

    # -- JSON from the API and every format from the CLI agree -----------------------------
    doc = admin.get(f"/v1/licences/{month}").json()
    assert doc["totals"]["recommended_standard_packs"] == 32
    assert "not a statement of licence compliance" in doc["disclaimer"]
    runner = CliRunner()
    for fmt in ("json", "csv", "table"):
        result = runner.invoke(cli, ["report", "licences", "--month", month, "--format", fmt,
                                     "--db", db_url])  # fmt: skip
        assert result.exit_code == 0, result.output
        if fmt == "json":
            assert json.loads(result.output)["totals"]["windows_server_instances"] == 4
        elif fmt == "csv":
            cli_totals = {r["name"]: r["value"] for r in _sections(result.output)["total"]}
            assert cli_totals["recommended_standard_packs"] == "32"
        else:
            assert "not a statement of licence compliance" in result.output
            assert "activation-failed" in result.output

    # -- history of a deleted instance, and the gauges ---------------------------------------
    events = admin.get(f"/v1/instances/{uuids['e']}/history").json()["events"]
    assert [e["event"] for e in events] == ["created", "deleted"]
    moves = admin.get(f"/v1/instances/{uuids['a']}/history").json()["events"]
    assert [(e["event"], e.get("host")) for e in moves] == [
        ("created", "hv1"),
        ("activation", None),
        ("moved", "hv2"),
    ]
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(admin.get("/metrics").text)
        for sample in family.samples
        if sample.name.startswith(("wincloud_windows", "wincloud_licensing"))
    }
    vms = {k[1]: v for k, v in samples.items() if k[0] == "wincloud_windows_vms"}
    assert vms == {
        (("activation", "activated"), ("edition", "Standard")): 2,  # a, and c (customer key)
        (("activation", "activated"), ("edition", "Datacenter")): 1,
        (("activation", "activated"), ("edition", "Professional")): 1,
        (("activation", "failed"), ("edition", "Standard")): 1,
    }  # e was deleted
    assert samples[("wincloud_licensing_host_windows_vms", (("host", "hv2"),))] == 3
    assert samples[("wincloud_licensing_hosts_over_standard", ())] == 1
    assert samples[("wincloud_licensing_up", ())] == 1
