"""Parts of meta_data.json and network_data.json whose shape depends on the version or on
what the record gave, as Nova 34 renders them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wincloud.model import parse_instance
from wincloud.tree import OPENSTACK_VERSIONS, render_drive, render_http

NOVA_NETWORK = Path(__file__).resolve().parents[2] / "fixtures" / "nova-34-network"
# Versions with devices ("latest" sorts after every date, as the checks below need).
WITH_DEVICES = [v for v in (*OPENSTACK_VERSIONS, "latest") if v >= "2016-06-30"]


def devices_at(instance, version):
    return json.loads(render_http(instance)[f"openstack/{version}/meta_data.json"])["devices"]


NIC = {"type": "nic", "mac": "fa:16:3e:00:00:09", "bus": "pci", "address": "0000:00:03.0"}


@pytest.mark.parametrize("version", WITH_DEVICES)
def test_a_nics_vlan_appears_from_2017_02_22(make_instance, version):
    shown = devices_at(make_instance(devices=[NIC | {"vlan": 100, "tags": ["t"]}]), version)
    assert ("vlan" in shown[0]) == (version >= "2017-02-22")


@pytest.mark.parametrize("version", WITH_DEVICES)
def test_a_nics_vf_trusted_appears_from_2018_08_27(make_instance, version):
    shown = devices_at(make_instance(devices=[NIC | {"vf_trusted": True, "tags": ["t"]}]), version)
    assert shown[0].get("vf_trusted") is (True if version >= "2018-08-27" else None)


def test_nova_order_and_default_vf_trusted(make_instance):
    shown = devices_at(make_instance(devices=[NIC | {"tags": ["t"], "vlan": 7}]), "latest")
    assert list(shown[0]) == ["vlan", "vf_trusted", "type", "mac", "bus", "address", "tags"]
    assert shown[0]["vf_trusted"] is False


def test_an_untagged_nic_shows_only_once_it_has_something_to_say(make_instance):
    instance = make_instance(devices=[NIC])
    assert devices_at(instance, "2017-02-22") == []
    assert devices_at(instance, "2018-08-27") == [{"vf_trusted": False, **NIC}]


def test_shares_appear_from_2025_04_04_and_disks_are_served_as_given(make_instance):
    share = {"type": "share", "share_id": "s1", "tag": "t", "bus": "none", "address": "none"}
    disk = {"type": "disk", "serial": "v1", "path": "/dev/sdb", "bus": "scsi", "address": "0:0"}
    instance = make_instance(devices=[disk, share])
    assert devices_at(instance, "2020-10-14") == [disk]
    assert devices_at(instance, "2025-04-04") == [disk, share]


def test_routes_get_no_services_the_record_did_not_have(instance):
    nd = json.loads(render_http(instance)["openstack/latest/network_data.json"])
    assert nd["networks"][0]["routes"] == [
        {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"}
    ]


def test_a_dhcp_network_gets_no_routes_or_services(make_instance):
    network_data = {
        "links": [{"id": "eth0"}],
        "networks": [{"id": "n0", "type": "ipv4_dhcp", "link": "eth0"}],
    }
    nd = json.loads(
        render_http(make_instance(network_data=network_data))["openstack/latest/network_data.json"]
    )
    assert nd == {
        "links": [{"id": "eth0", "type": "phy"}],
        "networks": [{"id": "n0", "type": "ipv4_dhcp", "link": "eth0"}],
        "services": [],
    }


def test_novas_own_network_data_round_trips_byte_for_byte(make_instance):
    nova = (NOVA_NETWORK / "network_data.json").read_bytes()
    instance = make_instance(network_data=json.loads(nova), fixed_ips=[])
    for version in ("2015-10-15", "latest"):
        assert render_drive(instance)[f"openstack/{version}/network_data.json"] == nova
    again = parse_instance(json.loads(json.dumps(instance.to_document())))
    assert render_http(again)["openstack/latest/network_data.json"] == nova
