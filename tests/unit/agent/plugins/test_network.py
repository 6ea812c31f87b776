import copy

import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.plugins.network import NetworkPlugin
from wincloud.errors import InvalidMetadata
from wincloud.platform import Adapter, InterfacePlan, NetworkPlan, RoutePlan

MAC0, MAC1, MAC2 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02", "fa:16:3e:00:00:03"

STATIC = {
    "links": [{"id": "eth0", "type": "phy", "ethernet_mac_address": MAC0, "mtu": 1450}],
    "networks": [
        {
            "id": "net4",
            "type": "ipv4",
            "link": "eth0",
            "ip_address": "10.0.0.5",
            "netmask": "255.255.255.0",
            "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"}],
            "services": [{"type": "dns", "address": "10.0.0.3"}],
        },
        {
            "id": "net6",
            "type": "ipv6",
            "link": "eth0",
            "ip_address": "2001:db8::5",
            "netmask": "ffff:ffff:ffff:ffff::",
            "routes": [{"network": "::", "netmask": "::", "gateway": "2001:db8::1"}],
        },
    ],
    "services": [{"type": "dns", "address": "10.0.0.2"}, {"type": "dns", "address": "10.0.0.3"}],
}

BONDED = {
    "links": [
        {"id": "eth0", "type": "phy", "ethernet_mac_address": MAC0},
        {"id": "eth1", "type": "phy", "ethernet_mac_address": MAC1.upper().replace(":", "-")},
        {
            "id": "bond0",
            "type": "bond",
            "bond_links": ["eth0", "eth1"],
            "bond_mode": "802.3ad",
            "bond_miimon": 100,
            "bond_xmit_hash_policy": "layer3+4",
            "ethernet_mac_address": MAC0,
            "mtu": 9000,
        },
        {
            "id": "vlan101",
            "type": "vlan",
            "vlan_link": "bond0",
            "vlan_id": 101,
            "vlan_mac_address": MAC0,
        },
        {"id": "eth2", "type": "ovs", "ethernet_mac_address": MAC2},
    ],
    "networks": [
        {"id": "n1", "type": "ipv4", "link": "vlan101", "ip_address": "192.168.1.10/24"},
        {"id": "n2", "type": "ipv4_dhcp", "link": "eth2"},
        {"id": "n3", "type": "ipv6_slaac", "link": "eth2"},
    ],
}


def test_static_ipv4_and_ipv6_become_one_link():
    plan = parse_network_data(STATIC)
    assert plan == NetworkPlan(
        interfaces=(
            InterfacePlan(
                mac=MAC0,
                addresses=("10.0.0.5/24", "2001:db8::5/64"),
                routes=(RoutePlan("0.0.0.0/0", "10.0.0.1"), RoutePlan("::/0", "2001:db8::1")),
                mtu=1450,
            ),
        ),
        dns_servers=("10.0.0.2", "10.0.0.3"),
    )


def test_bonds_vlans_and_dhcp():
    plan = parse_network_data(BONDED)
    by_key = {i.key: i for i in plan.interfaces}
    bond = by_key["bond0"]
    assert (bond.kind, bond.members, bond.bond_mode, bond.bond_miimon, bond.mtu) == (
        "bond",
        (MAC0, MAC1),
        "802.3ad",
        100,
        9000,
    )
    assert bond.bond_hash_policy == "layer3+4"
    vlan = by_key["vlan101"]
    assert (vlan.kind, vlan.link, vlan.vlan_id, vlan.addresses) == (
        "vlan",
        "bond0",
        101,
        ("192.168.1.10/24",),
    )
    eth2 = by_key[MAC2]
    assert (eth2.dhcp4, eth2.dhcp6, eth2.ipv6_autoconf) == (True, False, True)


def broken(path, value):
    doc = copy.deepcopy(BONDED)
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    "doc, where",
    [
        (broken(("links", 0, "ethernet_mac_address"), "zz:zz"), "links[0].ethernet_mac_address"),
        (broken(("links", 0, "ethernet_mac_address"), KeyError), "links[0].ethernet_mac_address"),
        (broken(("links", 2, "bond_links"), ["eth0", "nope"]), "links[2].bond_links"),
        (broken(("links", 2, "bond_mode"), "fastest"), "links[2].bond_mode"),
        (broken(("links", 3, "vlan_id"), 4095), "links[3].vlan_id"),
        (broken(("links", 3, "vlan_link"), "ghost"), "links[3].vlan_link"),
        (broken(("links", 0, "mtu"), 20), "links[0].mtu"),
        (broken(("networks", 0, "link"), "ghost"), "networks[0].link"),
        (broken(("networks", 0, "type"), "ipv5"), "networks[0].type"),
        (broken(("networks", 0, "ip_address"), "192.168.1.300"), "networks[0].ip_address"),
        (broken(("networks", 0, "ip_address"), "2001:db8::1"), "networks[0].ip_address"),
        (broken(("links",), {"id": "x"}), "links"),
        # "$" matches before a final newline: a MAC ending in one once passed into networkd
        (
            broken(("links", 0, "ethernet_mac_address"), "fa:16:3e:00:00:01\n"),
            "links[0].ethernet_mac_address",
        ),
    ],
)
def test_bad_network_data_names_the_field(doc, where):
    with pytest.raises(InvalidMetadata) as info:
        parse_network_data(doc, where="drive network_data.json")
    assert where in str(info.value)


def test_a_netmask_with_holes_is_refused():
    doc = copy.deepcopy(STATIC)
    doc["networks"][0]["netmask"] = "255.0.255.0"
    with pytest.raises(InvalidMetadata, match="contiguous"):
        parse_network_data(doc)


def test_static_plan_is_applied_on_present_adapters(make_ctx, platform):
    platform.network._adapters[:] = [Adapter("eth0", MAC0)]
    assert NetworkPlugin().run(make_ctx(network_data=STATIC)) is Outcome.DONE
    assert platform.network.applied == parse_network_data(STATIC)


def test_links_of_absent_adapters_are_left_out_with_what_depends_on_them(make_ctx, platform):
    platform.network._adapters[:] = [Adapter("eth0", MAC0), Adapter("eth2", MAC2)]
    NetworkPlugin().run(make_ctx(network_data=BONDED))
    assert [i.key for i in platform.network.applied.interfaces] == [MAC0, MAC2]


def test_with_no_adapter_listed_everything_is_written(make_ctx, platform):
    NetworkPlugin().run(make_ctx(network_data=BONDED))
    assert len(platform.network.applied.interfaces) == 5


def test_no_network_data_is_skipped_by_default(make_ctx, platform):
    platform.network._adapters[:] = [Adapter("eth0", MAC0)]
    assert NetworkPlugin().run(make_ctx()) is Outcome.SKIPPED
    assert platform.network.applied is None


def test_dhcp_fallback_covers_every_adapter(make_ctx, platform):
    platform.network._adapters[:] = [Adapter("eth1", MAC1), Adapter("eth0", MAC0)]
    config = with_section(AgentConfig(), "network", fallback="dhcp")
    assert NetworkPlugin().run(make_ctx(config, network_data={"links": []})) is Outcome.DONE
    assert [(i.mac, i.dhcp4) for i in platform.network.applied.interfaces] == [
        (MAC0, True),
        (MAC1, True),
    ]


def test_bad_network_data_changes_nothing(make_ctx, platform):
    with pytest.raises(InvalidMetadata):
        NetworkPlugin().run(make_ctx(network_data=broken(("links", 3, "vlan_id"), 0)))
    assert platform.network.applied is None


def test_posix_writes_systemd_networkd_files(make_ctx, posix, root):
    assert NetworkPlugin().run(make_ctx(on=posix, network_data=BONDED)) is Outcome.DONE
    folder = root / "etc/systemd/network"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "10-wincloud-bond0.netdev",
        "10-wincloud-bond0.network",
        "10-wincloud-fa163e000001.network",
        "10-wincloud-fa163e000002.network",
        "10-wincloud-fa163e000003.network",
        "10-wincloud-vlan101.netdev",
        "10-wincloud-vlan101.network",
    ]
    read = {name: (folder / name).read_text() for name in names}
    assert "[NetDev]\nName=bond0\nKind=bond\n" in read["10-wincloud-bond0.netdev"]
    assert (
        "Mode=802.3ad\nMIIMonitorSec=100ms\nTransmitHashPolicy=layer3+4"
        in read["10-wincloud-bond0.netdev"]
    )
    assert "[Network]\nBond=bond0\n" in read["10-wincloud-fa163e000002.network"]
    assert "Type=ether" in read["10-wincloud-fa163e000001.network"]
    assert "VLAN=vlan101" in read["10-wincloud-bond0.network"]
    assert "[VLAN]\nId=101\n" in read["10-wincloud-vlan101.netdev"]
    assert "Address=192.168.1.10/24" in read["10-wincloud-vlan101.network"]
    assert "DHCP=ipv4\nIPv6AcceptRA=yes" in read["10-wincloud-fa163e000003.network"]


def test_posix_static_file(make_ctx, posix, root):
    NetworkPlugin().run(make_ctx(on=posix, network_data=STATIC))
    text = (root / "etc/systemd/network/10-wincloud-fa163e000001.network").read_text()
    assert "[Link]\nMTUBytes=1450\n" in text
    assert "Address=10.0.0.5/24\nAddress=2001:db8::5/64\nDNS=10.0.0.2\nDNS=10.0.0.3\n" in text
    assert "[Route]\nGateway=10.0.0.1\n" in text and "[Route]\nGateway=2001:db8::1\n" in text
