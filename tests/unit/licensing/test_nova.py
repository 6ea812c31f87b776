"""`wincloud import nova` with the real openstacksdk against a local Nova/Glance that answers
from hand-written API responses (nova_responses/README.md)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import openstack
from tests.unit.licensing.fake_nova import Nova, fake_nova
from wincloud.cli import cli
from wincloud.errors import SourceUnavailable
from wincloud.licensing import build_report, load_rules
from wincloud.licensing.nova import COMPUTE_API_VERSION, read_nova, sync
from wincloud.store.hosts import Host

SQL01 = "5a2d4e3c-0b6f-4a51-9f0e-1c2b3a4d5e61"
WEB02 = "6b3e5f4d-1c7a-4b62-8a1f-2d3c4b5e6f72"


def _connect(url):
    return openstack.connect(
        auth_type="none",
        compute_endpoint_override=f"{url}/compute/v2.1",
        image_endpoint_override=f"{url}/image/v2",
        compute_api_version=COMPUTE_API_VERSION,
        load_yaml_config=False,
        load_envvars=False,
    )


@pytest.fixture
def nova():
    state = Nova()
    with fake_nova(state) as url:
        yield state, url


def _read(url):
    conn = _connect(url)
    try:
        return read_nova(conn)
    finally:
        conn.close()


def test_servers_and_hypervisors_are_read_with_what_licensing_needs(nova):
    state, url = nova
    servers, hypervisors = _read(url)
    by_id = {s.uuid: s for s in servers}
    sql = by_id[SQL01]
    assert (sql.host, sql.vcpus, sql.flavor, sql.project_id) == ("hv1", 4, "w1.large", "proj-a")
    assert sql.os_type == "windows"  # from the image's os_type property
    assert by_id[WEB02].os_type is None  # its image is gone from Glance
    assert dict(hypervisors) == {
        "hv1": Host("hv1", 2, 12, "rack1", "kvm"),  # 2 NUMA cells x 1 socket
        "hv2": Host("hv2", 1, 32, "rack1", "kvm"),
        "ironic-conductor": None,  # no topology
    }
    hv_calls = [
        v for p, v in zip(state.requests, state.versions, strict=True) if "hypervisors" in p
    ]
    assert hv_calls == [f"compute {COMPUTE_API_VERSION}"]  # cpu_info is gone after 2.87


def test_sync_updates_known_records_and_the_history_sees_moves(nova, repo, make_instance):
    state, url = nova
    repo.add(make_instance(uuid=SQL01, name="win-sql-01"))
    result = sync(repo, *_read(url))
    assert (result.updated, result.not_in_store) == (1, [WEB02])
    assert sorted(result.hosts_added) == ["hv1", "hv2"]
    assert result.hosts_without_topology == ["ironic-conductor"]
    got = repo.get(SQL01).instance
    assert (got.host, got.vcpus, got.instance_type, got.meta["os_type"]) == (
        "hv1",
        4,
        "w1.large",
        "windows",
    )
    assert got.admin_pass is not None  # the rest of the record is kept
    state.servers[0]["OS-EXT-SRV-ATTR:host"] = "hv2"  # live-migrated
    assert sync(repo, *_read(url)).updated == 1
    assert sync(repo, *_read(url)).unchanged == 1
    events = [(e.event, e.host) for e in repo.history.for_instance(SQL01)]
    assert events == [("created", None), ("moved", "hv1"), ("moved", "hv2")]
    report = build_report(repo, load_rules(), f"{repo.history.for_instance(SQL01)[0].at:%Y-%m}")
    ran = {h.hostname: (h.peak_vms, h.licensable_cores) for h in report.hosts if h.peak_vms}
    assert ran == {"hv1": (1, 24), "hv2": (1, 32)}  # imported topologies priced


def test_operator_set_hosts_are_not_overwritten(nova, repo):
    _, url = nova
    mine = Host("hv1", 2, 16, "rackX", "kvm", "standard", 4)
    repo.hosts.add(mine)
    sync(repo, *_read(url))
    assert repo.hosts.find("hv1") == mine


def test_add_missing_adds_address_less_records_and_prune_removes(nova, repo, make_instance):
    _, url = nova
    gone = repo.add(make_instance(name="old")).instance
    result = sync(repo, *_read(url), add_missing=True, prune=True)
    assert (result.added, result.removed) == (2, 1)
    web = repo.get(WEB02).instance
    assert (web.hostname, web.host, web.addresses) == ("web-02-IIS", "hv2", [])
    assert repo.get(gone.uuid) is None
    assert [e.event for e in repo.history.for_instance(gone.uuid)][-1] == "deleted"


def test_an_unreachable_nova_is_source_unavailable():
    with pytest.raises(SourceUnavailable, match="cannot read from Nova"):
        _read("http://127.0.0.1:9")


def test_the_cli_command_syncs_from_a_clouds_yaml(nova, repo, db_url, tmp_path, make_instance):
    _, url = nova
    repo.add(make_instance(uuid=SQL01, name="win-sql-01"))
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  fake:\n    auth_type: none\n"
        f"    compute_endpoint_override: {url}/compute/v2.1\n"
        f"    image_endpoint_override: {url}/image/v2\n"
    )
    runner = CliRunner(env={"OS_CLIENT_CONFIG_FILE": str(clouds)})
    result = runner.invoke(cli, ["import", "nova", "--cloud", "fake", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["updated"] == 1
    assert repo.get(SQL01).instance.host == "hv1"
