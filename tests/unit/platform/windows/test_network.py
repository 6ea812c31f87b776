import pytest

from wincloud.errors import PlatformError
from wincloud.platform import InterfacePlan, NetworkPlan, RoutePlan
from wincloud.platform.windows._win32.wmi import STANDARD_CIMV2 as NS

MAC = "fa:16:3e:00:00:05"
PLAN = NetworkPlan(
    interfaces=(
        InterfacePlan(
            mac=MAC,
            addresses=("10.0.0.5/24", "fd00::5/64"),
            routes=(RoutePlan("0.0.0.0/0", "10.0.0.1"), RoutePlan("192.168.0.0/16", "10.0.0.2")),
            mtu=1450,
        ),
    ),
    dns_servers=("10.0.0.2", "fd00::2"),
    dns_search=("example.org",),
)


def props(win, cls, **where):
    return [
        i.props
        for i in win.wmi.instances(NS, cls)
        if all(i.props.get(k) == v for k, v in where.items())
    ]


def test_adapters_are_listed_with_normalized_macs(platform):
    assert [(a.name, a.mac) for a in platform.network.adapters()] == [("Ethernet", MAC)]


def test_a_static_plan_replaces_dhcp(platform, win):
    assert platform.network.apply(PLAN) is True
    addresses = {(p["IPAddress"], p["PrefixLength"]) for p in props(win, "MSFT_NetIPAddress")}
    assert addresses == {("10.0.0.5", 24), ("fd00::5", 64)}  # the DHCP lease went with DHCP
    assert {p["Dhcp"] for p in props(win, "MSFT_NetIPInterface")} == {0}
    assert {p["NlMtu"] for p in props(win, "MSFT_NetIPInterface")} == {1450}
    routes = {(p["DestinationPrefix"], p["NextHop"]) for p in props(win, "MSFT_NetRoute")}
    assert routes == {("0.0.0.0/0", "10.0.0.1"), ("192.168.0.0/16", "10.0.0.2")}
    dns = {
        p["AddressFamily"]: p["ServerAddresses"] for p in props(win, "MSFT_DNSClientServerAddress")
    }
    assert dns == {2: ("10.0.0.2",), 23: ("fd00::2",)}
    assert props(win, "MSFT_DNSClientGlobalSetting")[0]["SuffixSearchList"] == ("example.org",)


def test_applying_a_plan_twice_changes_once(platform):
    assert platform.network.apply(PLAN) is True
    assert platform.network.apply(PLAN) is False


def test_a_new_plan_removes_what_the_old_one_added(platform, win):
    platform.network.apply(PLAN)
    smaller = NetworkPlan(
        interfaces=(
            InterfacePlan(
                mac=MAC, addresses=("10.0.0.6/24",), routes=(RoutePlan("0.0.0.0/0", "10.0.0.1"),)
            ),
        )
    )
    assert platform.network.apply(smaller) is True
    assert {p["IPAddress"] for p in props(win, "MSFT_NetIPAddress")} == {"10.0.0.6"}
    assert {p["DestinationPrefix"] for p in props(win, "MSFT_NetRoute")} == {"0.0.0.0/0"}


def test_an_adapter_left_out_of_a_new_plan_goes_back_to_dhcp(platform, win):
    platform.network.apply(PLAN)
    assert platform.network.apply(NetworkPlan()) is True
    assert {p["Dhcp"] for p in props(win, "MSFT_NetIPInterface")} == {1}
    assert props(win, "MSFT_NetIPAddress", PrefixOrigin=1) == []
    assert platform.network.apply(NetworkPlan()) is False


def test_dhcp_plan_keeps_dhcp(platform, win):
    plan = NetworkPlan(interfaces=(InterfacePlan(mac=MAC, dhcp4=True, dhcp6=True),))
    assert platform.network.apply(plan) is False
    assert props(win, "MSFT_NetIPAddress")[0]["IPAddress"] == "10.0.0.99"


def test_unknown_mac_is_an_error_naming_it(platform):
    plan = NetworkPlan(interfaces=(InterfacePlan(mac="fa:16:3e:99:99:99", dhcp4=True),))
    with pytest.raises(PlatformError, match="fa:16:3e:99:99:99"):
        platform.network.apply(plan)


def test_invalid_plan_is_refused(platform):
    bad = NetworkPlan(interfaces=(InterfacePlan(mac=MAC, addresses=("10.0.0.300/24",)),))
    with pytest.raises(PlatformError):
        platform.network.apply(bad)
