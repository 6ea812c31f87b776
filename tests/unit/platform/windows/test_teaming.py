"""Bonds as LBFO teams and VLANs (team interfaces, tagged adapters) on the fake WMI: every
test asserts the fake machine's objects after apply."""

import pytest

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.errors import NotSupported, PlatformError
from wincloud.platform import InterfacePlan, NetworkPlan, RoutePlan
from wincloud.platform.windows._win32.errors import (
    WBEM_E_ALREADY_EXISTS,
    WBEM_E_INVALID_PARAMETER,
    WBEM_E_NOT_FOUND,
)
from wincloud.platform.windows._win32.fake import FakeRegistry, FakeWmi
from wincloud.platform.windows._win32.fake.wmi import (
    WBEM_E_INVALID_OPERATION,
    WBEM_E_PROVIDER_NOT_CAPABLE,
)
from wincloud.platform.windows._win32.fake.wmi_network import add_adapter
from wincloud.platform.windows._win32.wmi import STANDARD_CIMV2 as NS
from wincloud.platform.windows.network import WindowsNetwork

MAC0, MAC1, MAC2 = "fa:16:3e:00:00:05", "fa:16:3e:00:00:06", "fa:16:3e:00:00:07"
DNS = ("10.0.0.2",)


@pytest.fixture
def win(win):
    """The fake Windows Server 2022 with three virtio adapters (indexes 4, 5, 6)."""
    add_adapter(win.wmi, "Ethernet 2", MAC1, 5)
    add_adapter(win.wmi, "Ethernet 3", MAC2, 6)
    return win


def rows(win, cls, **where):
    return [
        i.props
        for i in win.wmi.instances(NS, cls)
        if all(i.props.get(k) == v for k, v in where.items())
    ]


def adapter(win, name):
    found = rows(win, "MSFT_NetAdapter", Name=name)
    return found[0] if found else None


def addresses(win, index):
    return {p["IPAddress"] for p in rows(win, "MSFT_NetIPAddress", InterfaceIndex=index)}


def bonded(*members, mode="802.3ad", hash_policy="", mac="", **bond):
    return NetworkPlan(
        interfaces=(
            *(InterfacePlan(mac=m) for m in members),
            InterfacePlan(
                mac=mac,
                kind="bond",
                name="bond0",
                members=members,
                bond_mode=mode,
                bond_hash_policy=hash_policy,
                **bond,
            ),
        ),
        dns_servers=DNS,
    )


BOND = bonded(
    MAC0,
    MAC1,
    hash_policy="layer3+4",
    addresses=("10.0.0.5/24",),
    routes=(RoutePlan("0.0.0.0/0", "10.0.0.1"),),
    mtu=9000,
)


def test_a_bond_becomes_a_team_whose_interface_gets_the_addresses(platform, win):
    assert platform.network.apply(BOND) is True
    (team,) = rows(win, "MSFT_NetLbfoTeam")
    assert (team["Name"], team["TeamingMode"], team["LoadBalancingAlgorithm"]) == ("bond0", 2, 0)
    assert team["Members"] == ("Ethernet", "Ethernet 2")
    nic = adapter(win, "bond0")
    assert nic["InterfaceIndex"] == 7  # a new adapter, as Windows makes one
    assert nic["MacAddress"] == "FA-16-3E-00-00-05"
    assert addresses(win, 7) == {"10.0.0.5"}
    assert {p["NlMtu"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=7)} == {9000}
    assert [r["NextHop"] for r in rows(win, "MSFT_NetRoute", InterfaceIndex=7)] == ["10.0.0.1"]
    dns = rows(win, "MSFT_DNSClientServerAddress", InterfaceIndex=7, AddressFamily=2)
    assert dns[0]["ServerAddresses"] == DNS
    # members have no TCP/IP of their own; the third adapter is untouched
    assert rows(win, "MSFT_NetIPInterface", InterfaceIndex=4) == []
    assert rows(win, "MSFT_NetIPInterface", InterfaceIndex=5) == []
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=6)} == {1}


def test_applying_a_bond_plan_twice_changes_once(platform):
    assert platform.network.apply(BOND) is True
    assert platform.network.apply(BOND) is False


@pytest.mark.parametrize(
    ("mode", "hash_policy", "teaming", "algorithm"),
    [
        ("802.3ad", "", 2, 5),
        ("802.3ad", "layer2", 2, 3),
        ("802.3ad", "encap2+3", 2, 2),
        ("balance-xor", "layer2+3", 0, 2),
        ("balance-rr", "", 0, 5),
        ("active-backup", "layer2", 1, 0),
        ("balance-tlb", "", 1, 5),
        ("balance-alb", "", 1, 5),
        (None, "", 1, 5),
    ],
)
def test_bond_modes_map_to_teaming_modes(platform, win, mode, hash_policy, teaming, algorithm):
    platform.network.apply(bonded(MAC0, MAC1, mode=mode, hash_policy=hash_policy))
    (team,) = rows(win, "MSFT_NetLbfoTeam")
    assert (team["TeamingMode"], team["LoadBalancingAlgorithm"]) == (teaming, algorithm)


def test_active_backup_keeps_the_second_member_in_standby(platform, win):
    platform.network.apply(bonded(MAC0, MAC1, mode="active-backup"))
    modes = {m["Name"]: m["AdministrativeMode"] for m in rows(win, "MSFT_NetLbfoTeamMember")}
    assert modes == {"Ethernet": 0, "Ethernet 2": 1}


def nothing_changed(win):
    assert rows(win, "MSFT_NetLbfoTeam") == []
    assert rows(win, "MSFT_NetLbfoTeamNic") == []
    assert len(rows(win, "MSFT_NetAdapter")) == 3
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface")} == {1}
    assert len(rows(win, "MSFT_NetIPInterface")) == 6
    assert {
        p["RegistryValue"] for p in rows(win, "MSFT_NetAdapterAdvancedPropertySettingData")
    } == {("0",)}
    assert addresses(win, 4) == {"10.0.0.99"}


@pytest.mark.parametrize(
    ("plan", "named"),
    [
        (bonded(MAC0, MAC1, mode="broadcast", addresses=("10.0.0.5/24",)), "bond0"),
        (bonded(MAC0, MAC1, hash_policy="vlan+srcmac", addresses=("10.0.0.5/24",)), "bond0"),
        (bonded(MAC0, MAC1, MAC2, mode="active-backup"), "bond0"),
    ],
    ids=["broadcast", "unknown-hash", "three-member-active-backup"],
)
def test_a_bond_windows_cannot_do_is_refused_naming_it(platform, win, plan, named):
    with pytest.raises(PlatformError, match=named):
        platform.network.apply(plan)
    nothing_changed(win)


def test_a_bond_member_without_adapter_names_the_mac_and_changes_nothing(platform, win):
    ghost = "fa:16:3e:99:99:99"
    plan = NetworkPlan(
        interfaces=(
            InterfacePlan(mac=MAC2, addresses=("10.1.0.5/24",)),  # would be configured first
            *bonded(MAC0, ghost, addresses=("10.0.0.5/24",)).interfaces,
        )
    )
    with pytest.raises(PlatformError, match=ghost) as info:
        platform.network.apply(plan)
    assert "bond0" in str(info.value)
    nothing_changed(win)


def test_the_bond_mac_picks_the_member_that_gives_the_team_its_mac(platform, win):
    platform.network.apply(bonded(MAC0, MAC1, mac=MAC1))
    assert adapter(win, "bond0")["MacAddress"] == "FA-16-3E-00-00-06"


def test_a_changed_plan_updates_the_team(platform, win):
    platform.network.apply(BOND)
    changed = bonded(MAC0, MAC2, mode="balance-xor", addresses=("10.0.0.5/24",))
    assert platform.network.apply(changed) is True
    (team,) = rows(win, "MSFT_NetLbfoTeam")
    assert team["Members"] == ("Ethernet", "Ethernet 3")
    assert (team["TeamingMode"], team["LoadBalancingAlgorithm"]) == (0, 5)
    assert adapter(win, "bond0")["InterfaceIndex"] == 7  # the same team interface
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=5)} == {1}
    assert rows(win, "MSFT_NetIPInterface", InterfaceIndex=6) == []
    assert platform.network.apply(changed) is False


def test_a_member_moves_to_another_team(platform, win):
    platform.network.apply(bonded(MAC0, MAC1))
    two = NetworkPlan(
        interfaces=(
            *(InterfacePlan(mac=m) for m in (MAC0, MAC1, MAC2)),
            InterfacePlan(mac="", kind="bond", name="bond0", members=(MAC0,)),
            InterfacePlan(mac="", kind="bond", name="bond1", members=(MAC1, MAC2)),
        )
    )
    assert platform.network.apply(two) is True
    members = {m["Name"]: m["Team"] for m in rows(win, "MSFT_NetLbfoTeamMember")}
    assert members == {"Ethernet": "bond0", "Ethernet 2": "bond1", "Ethernet 3": "bond1"}
    assert platform.network.apply(two) is False


def test_a_bond_left_out_of_a_new_plan_is_removed(platform, win):
    platform.network.apply(BOND)
    plain = NetworkPlan(interfaces=(InterfacePlan(mac=MAC0, addresses=("10.0.0.5/24",)),))
    assert platform.network.apply(plain) is True
    assert rows(win, "MSFT_NetLbfoTeam") == rows(win, "MSFT_NetLbfoTeamMember") == []
    assert adapter(win, "bond0") is None
    assert addresses(win, 4) == {"10.0.0.5"}
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=5)} == {1}
    assert platform.network.apply(plain) is False


def test_a_team_wincloud_did_not_make_is_left_alone(platform, win):
    win.wmi.create(
        NS,
        "MSFT_NetLbfoTeam",
        {"Name": "admin", "TeamingMode": 1, "LoadBalancingAlgorithm": 5},
        {"TeamMembers": ("Ethernet 3",)},
    )
    assert platform.network.apply(BOND) is True
    assert platform.network.apply(NetworkPlan()) is True
    assert [t["Name"] for t in rows(win, "MSFT_NetLbfoTeam")] == ["admin"]
    with pytest.raises(PlatformError, match="member of team admin"):
        platform.network.apply(bonded(MAC0, MAC2))


def test_a_name_taken_by_another_adapter_is_refused(platform, win):
    add_adapter(win.wmi, "bond0", "fa:16:3e:00:00:08", 9)
    with pytest.raises(PlatformError, match="bond0"):
        platform.network.apply(bonded(MAC0, MAC1))
    assert rows(win, "MSFT_NetLbfoTeam") == []


def vlan_on(link, vlan_id=101, name="vlan101", **extra):
    return InterfacePlan(mac="", kind="vlan", name=name, link=link, vlan_id=vlan_id, **extra)


def test_a_vlan_on_a_bond_is_a_team_interface_with_the_addresses(platform, win):
    plan = NetworkPlan(
        interfaces=(*bonded(MAC0, MAC1).interfaces, vlan_on("bond0", addresses=("10.1.0.5/24",)))
    )
    assert platform.network.apply(plan) is True
    nic = rows(win, "MSFT_NetLbfoTeamNic", Name="vlan101")[0]
    assert (nic["Team"], nic["VlanID"], nic["Primary"]) == ("bond0", 101, False)
    index = adapter(win, "vlan101")["InterfaceIndex"]
    assert index not in (4, 5, 6, adapter(win, "bond0")["InterfaceIndex"])
    assert addresses(win, index) == {"10.1.0.5"}
    assert rows(win, "MSFT_NetLbfoTeamNic", Name="bond0")[0]["VlanID"] is None  # untagged
    assert platform.network.apply(plan) is False


def test_a_new_vlan_id_on_a_bond_replaces_the_team_interface(platform, win):
    base = bonded(MAC0, MAC1).interfaces
    platform.network.apply(NetworkPlan((*base, vlan_on("bond0", addresses=("10.1.0.5/24",)))))
    moved = NetworkPlan((*base, vlan_on("bond0", vlan_id=202, addresses=("10.1.0.5/24",))))
    assert platform.network.apply(moved) is True
    assert [n["VlanID"] for n in rows(win, "MSFT_NetLbfoTeamNic", Name="vlan101")] == [202]
    assert addresses(win, adapter(win, "vlan101")["InterfaceIndex"]) == {"10.1.0.5"}
    assert platform.network.apply(NetworkPlan(base)) is True
    assert adapter(win, "vlan101") is None
    assert [n["Name"] for n in rows(win, "MSFT_NetLbfoTeamNic")] == ["bond0"]


def test_a_vlan_on_a_plain_adapter_tags_it(platform, win):
    plan = NetworkPlan(
        interfaces=(
            InterfacePlan(mac=MAC1, mtu=1400),
            vlan_on(MAC1, vlan_id=42, addresses=("10.4.0.5/24",)),
        )
    )
    assert platform.network.apply(plan) is True
    prop = rows(win, "MSFT_NetAdapterAdvancedPropertySettingData", Name="Ethernet 2")[0]
    assert prop["RegistryValue"] == ("42",)
    assert addresses(win, 5) == {"10.4.0.5"}
    assert {p["NlMtu"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=5)} == {1400}
    assert platform.network.apply(plan) is False
    assert platform.network.apply(NetworkPlan()) is True
    assert prop["RegistryValue"] == ("0",)
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=5)} == {1}
    assert addresses(win, 5) == set()


@pytest.mark.parametrize(
    ("interfaces", "named"),
    [
        ((InterfacePlan(mac=MAC1, addresses=("10.0.0.6/24",)), vlan_on(MAC1)), "vlan101"),
        (
            (InterfacePlan(mac=MAC1), vlan_on(MAC1), vlan_on(MAC1, vlan_id=102, name="vlan102")),
            "vlan102",
        ),
        ((InterfacePlan(mac=MAC2), vlan_on(MAC2)), "vlan101"),  # no VlanID in its driver
        ((*bonded(MAC0, MAC1).interfaces, vlan_on(MAC1)), "vlan101"),  # on a team member
    ],
    ids=["untagged-too", "two-vlans", "no-vlan-driver", "on-a-member"],
)
def test_a_vlan_a_plain_adapter_cannot_carry_is_refused(platform, win, interfaces, named):
    for item in win.wmi.instances(NS, "MSFT_NetAdapterAdvancedPropertySettingData"):
        if item.props["Name"] == "Ethernet 3":
            win.wmi.remove(NS, item)
    with pytest.raises(PlatformError, match=named):
        platform.network.apply(NetworkPlan(interfaces))
    assert rows(win, "MSFT_NetLbfoTeam") == []
    tags = {p["RegistryValue"] for p in rows(win, "MSFT_NetAdapterAdvancedPropertySettingData")}
    assert tags == {("0",)}


def test_bonds_on_windows_without_teaming_are_not_supported():
    wmi, registry = FakeWmi(), FakeRegistry()
    add_adapter(wmi, "Ethernet", MAC0, 4)
    network = WindowsNetwork(wmi, registry)
    with pytest.raises(NotSupported):
        network.apply(bonded(MAC0))
    assert network.apply(NetworkPlan((InterfacePlan(mac=MAC0, addresses=("10.0.0.5/24",)),)))


class SlowWmi:
    """The fake, except that an adapter stays invisible for its first ``hidden`` lookups by
    name (a team interface Windows has not finished creating)."""

    def __init__(self, wmi, hidden):
        self.wmi, self.hidden = wmi, hidden

    def __getattr__(self, name):
        return getattr(self.wmi, name)

    def query(self, namespace, cls, where=None):
        if cls == "MSFT_NetAdapter" and where and where.get("Name") == "bond0" and self.hidden:
            self.hidden -= 1
            return []
        return self.wmi.query(namespace, cls, where)


NOVA = {
    "links": [
        {"id": "tap1", "type": "phy", "ethernet_mac_address": MAC0},
        {"id": "tap2", "type": "phy", "ethernet_mac_address": MAC1},
        {
            "id": "bond0",
            "type": "bond",
            "bond_links": ["tap1", "tap2"],
            "bond_mode": "802.3ad",
            "bond_miimon": 100,
            "bond_xmit_hash_policy": "layer3+4",
            "ethernet_mac_address": MAC0,
            "mtu": 9000,
        },
        {"id": "vlan42", "type": "vlan", "vlan_link": "bond0", "vlan_id": 42},
        {"id": "tap3", "type": "phy", "ethernet_mac_address": MAC2},
        {"id": "vlan7", "type": "vlan", "vlan_link": "tap3", "vlan_id": 7},
    ],
    "networks": [
        {"id": "n1", "type": "ipv4", "link": "bond0", "ip_address": "10.0.0.5/24"},
        {"id": "n2", "type": "ipv4", "link": "vlan42", "ip_address": "10.42.0.5/24"},
        {"id": "n3", "type": "ipv4_dhcp", "link": "vlan7"},
    ],
    "services": [{"type": "dns", "address": "10.0.0.2"}],
}


def test_nova_network_data_with_a_bond_and_vlans_applies_once(platform, win):
    plan = parse_network_data(NOVA)
    assert platform.network.apply(plan) is True
    assert addresses(win, adapter(win, "bond0")["InterfaceIndex"]) == {"10.0.0.5"}
    assert addresses(win, adapter(win, "vlan42")["InterfaceIndex"]) == {"10.42.0.5"}
    assert rows(win, "MSFT_NetLbfoTeamNic", Name="vlan42")[0]["VlanID"] == 42
    tag = rows(win, "MSFT_NetAdapterAdvancedPropertySettingData", Name="Ethernet 3")[0]
    assert tag["RegistryValue"] == ("7",)
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=6)} == {1}
    assert platform.network.apply(plan) is False


def test_a_team_interface_is_waited_for(win):
    sleeps = []
    network = WindowsNetwork(SlowWmi(win.wmi, 3), win.registry, sleep=sleeps.append)
    assert network.apply(BOND) is True
    assert sleeps == [1.0, 1.0, 1.0]
    assert addresses(win, adapter(win, "bond0")["InterfaceIndex"]) == {"10.0.0.5"}


def test_a_team_interface_that_never_appears_is_an_error(win):
    sleeps = []
    slow = SlowWmi(win.wmi, 100)
    network = WindowsNetwork(slow, win.registry, sleep=sleeps.append, wait_seconds=5)
    with pytest.raises(PlatformError, match="bond0"):
        network.apply(BOND)
    assert len(sleeps) == 5
    # the team was recorded before it was made: a later plan without it removes it
    assert WindowsNetwork(win.wmi, win.registry).apply(NetworkPlan()) is True
    assert rows(win, "MSFT_NetLbfoTeam") == []


# -- the fake provider refuses what Windows refuses ---------------------------------------


def team(win, name="t", members=("Ethernet",), **props):
    base = {"Name": name, "TeamingMode": 1, "LoadBalancingAlgorithm": 5, **props}
    return win.wmi.create(NS, "MSFT_NetLbfoTeam", base, {"TeamMembers": members})


def code_of(call):
    with pytest.raises(PlatformError) as info:
        call()
    return info.value.os_code


def test_fake_teams_refuse_what_the_netlbfo_pages_rule_out(win):
    team(win)
    assert code_of(lambda: team(win)) == WBEM_E_ALREADY_EXISTS
    assert code_of(lambda: team(win, "u", ("Ethernet",))) == WBEM_E_INVALID_PARAMETER
    assert code_of(lambda: team(win, "u", ("Nowhere",))) == WBEM_E_NOT_FOUND
    assert code_of(lambda: team(win, "u", ("Ethernet 2",), TeamingMode=7)) == (
        WBEM_E_INVALID_PARAMETER
    )
    member = 'MSFT_NetLbfoTeamMember.Name="Ethernet"'
    assert code_of(lambda: win.wmi.delete(NS, member)) == WBEM_E_INVALID_OPERATION
    primary = 'MSFT_NetLbfoTeamNic.Name="t"'
    assert code_of(lambda: win.wmi.delete(NS, primary)) == WBEM_E_INVALID_OPERATION
    nic = {"Team": "t", "Name": "v5", "VlanID": 5}
    win.wmi.create(NS, "MSFT_NetLbfoTeamNic", nic)
    again = {"Team": "t", "Name": "v5b", "VlanID": 5}
    assert code_of(lambda: win.wmi.create(NS, "MSFT_NetLbfoTeamNic", again)) == (
        WBEM_E_ALREADY_EXISTS
    )
    too_big = {"Team": "t", "Name": "v", "VlanID": 4095}
    assert code_of(lambda: win.wmi.create(NS, "MSFT_NetLbfoTeamNic", too_big)) == (
        WBEM_E_INVALID_PARAMETER
    )
    assert code_of(lambda: win.wmi.create(NS, "MSFT_NetAdapter", {})) == (
        WBEM_E_PROVIDER_NOT_CAPABLE
    )


def test_fake_teams_keep_one_standby_member_in_switch_independent_mode(win):
    team(win, members=("Ethernet", "Ethernet 2", "Ethernet 3"))
    path = 'MSFT_NetLbfoTeamMember.Name="{}"'
    win.wmi.put(NS, path.format("Ethernet 2"), {"AdministrativeMode": 1})
    standby = {"AdministrativeMode": 1}
    assert code_of(lambda: win.wmi.put(NS, path.format("Ethernet 3"), standby)) == (
        WBEM_E_INVALID_PARAMETER
    )
    win.wmi.put(NS, 'MSFT_NetLbfoTeam.Name="t"', {"TeamingMode": 2})  # LACP: all active
    assert {m["AdministrativeMode"] for m in rows(win, "MSFT_NetLbfoTeamMember")} == {0}


def test_fake_team_removal_gives_members_their_tcpip_back(win):
    team(win, members=("Ethernet", "Ethernet 2"))
    win.wmi.create(NS, "MSFT_NetLbfoTeamNic", {"Team": "t", "VlanID": 7})
    assert adapter(win, "t - VLAN 7") is not None
    assert rows(win, "MSFT_NetIPInterface", InterfaceIndex=4) == []
    win.wmi.delete(NS, 'MSFT_NetLbfoTeam.Name="t"')
    assert rows(win, "MSFT_NetLbfoTeamNic") == rows(win, "MSFT_NetLbfoTeamMember") == []
    assert [a["Name"] for a in rows(win, "MSFT_NetAdapter")] == [
        "Ethernet",
        "Ethernet 2",
        "Ethernet 3",
    ]
    assert {p["Dhcp"] for p in rows(win, "MSFT_NetIPInterface", InterfaceIndex=4)} == {1}
