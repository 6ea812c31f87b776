import pytest

from wincloud.errors import PlatformError
from wincloud.platform import InterfacePlan, NetworkPlan, RoutePlan

PLAN = NetworkPlan(
    interfaces=(
        InterfacePlan(
            mac="fa:16:3e:00:00:05",
            addresses=("10.0.0.5/24",),
            routes=(RoutePlan("0.0.0.0/0", "10.0.0.1"),),
            mtu=1450,
        ),
    ),
    dns_servers=("10.0.0.2",),
)


def test_adapters_are_listed(rig):
    rig.add_adapter("eth0", "fa:16:3e:00:00:05")
    assert [(a.name, a.mac) for a in rig.platform.network.adapters()] == [
        ("eth0", "fa:16:3e:00:00:05")
    ]


def test_applying_a_plan_twice_changes_once(rig):
    assert rig.platform.network.apply(PLAN) is True
    assert rig.platform.network.apply(PLAN) is False


def test_a_different_plan_changes(rig):
    rig.platform.network.apply(PLAN)
    assert rig.platform.network.apply(NetworkPlan()) is True


def test_invalid_plan_is_refused(rig):
    bad = NetworkPlan(
        interfaces=(InterfacePlan(mac="fa:16:3e:00:00:05", addresses=("10.0.0.300/24",)),)
    )
    with pytest.raises(PlatformError):
        rig.platform.network.apply(bad)


MAC0, MAC1 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02"
BOND = NetworkPlan(
    interfaces=(
        InterfacePlan(mac=MAC0),
        InterfacePlan(mac=MAC1),
        InterfacePlan(
            mac=MAC0,
            kind="bond",
            name="bond0",
            members=(MAC0, MAC1),
            mtu=9000,
            bond_mode="802.3ad",
            bond_miimon=100,
        ),
        InterfacePlan(
            mac="", kind="vlan", name="vlan5", link="bond0", vlan_id=5, addresses=("10.5.0.2/24",)
        ),
    )
)


def test_bonds_and_vlans_apply_once(rig):
    assert rig.platform.network.apply(BOND) is True
    assert rig.platform.network.apply(BOND) is False


@pytest.mark.parametrize(
    "bad",
    [
        InterfacePlan(mac="", kind="bond", name="bond0", members=("fa:16:3e:00:00:09",)),
        InterfacePlan(mac="", kind="bond", name="bond0"),
        InterfacePlan(mac="", kind="vlan", name="v1", link="nowhere", vlan_id=5),
        InterfacePlan(mac="", kind="vlan", name="v1", link=MAC0, vlan_id=4095),
        InterfacePlan(mac="", kind="vlan", name="far-too-long-name", link=MAC0, vlan_id=5),
        InterfacePlan(mac=MAC1, name="eth1"),
    ],
)
def test_broken_links_are_refused(rig, bad):
    plan = NetworkPlan(interfaces=(InterfacePlan(mac=MAC0), bad))
    with pytest.raises(PlatformError):
        rig.platform.network.apply(plan)
