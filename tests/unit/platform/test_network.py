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
