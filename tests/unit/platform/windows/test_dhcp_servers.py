"""WindowsNetwork.dhcp_servers: the DHCPServer of each DHCP-enabled adapter
(Win32_NetworkAdapterConfiguration), what the CloudStack source asks for its router."""

from wincloud.platform.windows._win32.fake import FakeRegistry, FakeWmi
from wincloud.platform.windows._win32.wmi import CIMV2
from wincloud.platform.windows.network import WindowsNetwork

CLS = "Win32_NetworkAdapterConfiguration"


def network(*rows):
    wmi = FakeWmi()
    wmi.define(CIMV2, CLS)
    for index, (enabled, dhcp, server) in enumerate(rows):
        props = {"Index": index, "InterfaceIndex": 10 - index, "IPEnabled": enabled}
        props |= {"DHCPEnabled": dhcp, "DHCPServer": server}
        wmi.add(CIMV2, CLS, props, ["Index"])
    return WindowsNetwork(wmi, FakeRegistry())


def test_dhcp_servers_of_dhcp_enabled_adapters_by_interface_index():
    net = network(
        (True, True, "10.1.1.1"),
        (True, False, "10.9.9.9"),  # static: a stale value is not a lease
        (False, True, "10.8.8.8"),  # no IP bound
        (True, True, "10.2.2.1"),
        (True, True, "10.1.1.1"),
    )
    assert net.dhcp_servers() == ["10.1.1.1", "10.2.2.1"]


def test_no_lease_yet_is_no_server():
    assert network((True, True, "255.255.255.255"), (True, True, None)).dhcp_servers() == []
