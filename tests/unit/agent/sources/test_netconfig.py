"""cloud-init network config (v1, v2 ethernets) into Nova network_data, checked by handing
the result to the network plugin's own parser."""

import pytest
import yaml

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources._netconfig import network_data_from_config
from wincloud.errors import InvalidMetadata

V1 = """
version: 1
config:
  - type: physical
    name: eth0
    mac_address: 'BC:24:11:AA:BB:01'
    mtu: 1400
    subnets:
      - type: static
        address: '192.168.1.60'
        netmask: '255.255.255.0'
        gateway: '192.168.1.1'
      - type: static6
        address: '2001:db8::60/64'
        gateway: '2001:db8::1'
  - type: physical
    name: eth1
    mac_address: 'bc:24:11:aa:bb:02'
    subnets:
      - type: dhcp4
      - type: ipv6_slaac
  - type: physical
    name: eth2
  - type: bond
    name: bond0
  - type: nameserver
    address: ['192.168.1.1']
    search: ['example.lan']
"""


def plan_of(text):
    return parse_network_data(network_data_from_config(yaml.safe_load(text), where="t"))


def test_v1_as_proxmox_writes_it():
    plan = plan_of(V1)
    eth0, eth1 = plan.interfaces  # eth2 has no MAC, the bond is left out
    assert (eth0.mac, eth0.mtu) == ("bc:24:11:aa:bb:01", 1400)
    assert eth0.addresses == ("192.168.1.60/24", "2001:db8::60/64")
    assert {(r.destination, r.gateway) for r in eth0.routes} == {
        ("0.0.0.0/0", "192.168.1.1"),
        ("::/0", "2001:db8::1"),
    }
    assert (eth1.dhcp4, eth1.ipv6_autoconf) == (True, True)
    assert plan.dns_servers == ("192.168.1.1",)


def test_v2_ethernets_matched_by_mac():
    plan = plan_of(
        "network:\n  version: 2\n  ethernets:\n    id0:\n"
        "      match: {macaddress: '00:50:56:00:00:01'}\n      dhcp4: true\n"
    )
    (iface,) = plan.interfaces
    assert (iface.mac, iface.dhcp4) == ("00:50:56:00:00:01", True)


@pytest.mark.parametrize(
    "doc",
    [
        "version: 1\nconfig:\n  - type: physical\n    name: e\n",
        "version: 2\nethernets:\n  e: {match: {name: 'en*'}, dhcp4: true}\n",
        "version: 1\nconfig: disabled\n",
    ],
)
def test_nothing_matchable_is_no_network(doc):
    assert network_data_from_config(yaml.safe_load(doc), where="t") is None


@pytest.mark.parametrize(
    "doc",
    [
        "- a list\n",
        "version: 3\n",
        "version: 1\nconfig: {a: b}\n",
        "version: 1\nconfig: [1, 2]\n",
        "version: 1\nconfig:\n  - {type: physical, mac_address: 'a', subnets: [{type: magic}]}\n",
        "version: 2\nethernets: [1]\n",
    ],
)
def test_what_is_not_network_config_is_invalid(doc):
    with pytest.raises(InvalidMetadata):
        network_data_from_config(yaml.safe_load(doc), where="t")


def test_too_many_entries_are_refused():
    doc = {"version": 1, "config": [{"type": "nameserver"}] * 300}
    with pytest.raises(InvalidMetadata, match="at most"):
        network_data_from_config(doc, where="t")
