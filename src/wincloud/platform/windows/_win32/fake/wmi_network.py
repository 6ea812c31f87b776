"""Fake root/StandardCimv2 networking: MSFT_NetAdapter, MSFT_NetIPInterface, MSFT_NetIPAddress
(static Create), MSFT_NetRoute (static Create), MSFT_DNSClientServerAddress,
MSFT_DNSClientGlobalSetting and the adapters' VlanID advanced property
(MSFT_NetAdapterAdvancedPropertySettingData), behaving as the NetAdapter/NetTCPIP/DnsClient
providers do for the calls the decisions make. Teams live in ``wmi_lbfo``."""

from __future__ import annotations

import ipaddress
from typing import Any

from wincloud.platform.windows._win32.errors import WBEM_E_ALREADY_EXISTS, WBEM_E_INVALID_PARAMETER
from wincloud.platform.windows._win32.fake.wmi import FakeInstance, FakeWmi, wmi_error
from wincloud.platform.windows._win32.wmi import STANDARD_CIMV2

NS = STANDARD_CIMV2
IPV4, IPV6 = 2, 23
ORIGIN_MANUAL, ORIGIN_DHCP = 1, 3
ROUTE_NETMGMT = 3
"""MSFT_NetRoute.Protocol: NetMgmt, a route configured by an administrator."""


def _family(address: str) -> int:
    return IPV4 if ipaddress.ip_address(address).version == 4 else IPV6


def _interface(wmi: FakeWmi, index: int, family: int) -> FakeInstance:
    for item in wmi.instances(NS, "MSFT_NetIPInterface"):
        if item.props["InterfaceIndex"] == index and item.props["AddressFamily"] == family:
            return item
    raise wmi_error("Create", WBEM_E_INVALID_PARAMETER, f"InterfaceIndex={index}")


def _create_address(
    wmi: FakeWmi, ns: str, _instance: FakeInstance | None, params: dict[str, Any]
) -> dict[str, Any]:
    index, address = int(params["InterfaceIndex"]), str(params["IPAddress"])
    prefix = int(params["PrefixLength"])
    family = _family(address)
    if not 0 <= prefix <= (32 if family == IPV4 else 128):
        raise wmi_error("Create", WBEM_E_INVALID_PARAMETER, f"PrefixLength={prefix}")
    if _interface(wmi, index, family).props["Dhcp"] == 1:
        # New-NetIPAddress on a DHCP-enabled interface is refused ("Inconsistent parameters
        # PolicyStore PersistentStore and Dhcp Enabled"): DHCP must be disabled first
        raise wmi_error("Create", WBEM_E_INVALID_PARAMETER, address)
    for item in wmi.instances(ns, "MSFT_NetIPAddress"):
        if item.props["IPAddress"] == address and item.props["InterfaceIndex"] == index:
            raise wmi_error("Create", WBEM_E_ALREADY_EXISTS, address)
    add_address(wmi, index, address, prefix, ORIGIN_MANUAL)
    return {"ReturnValue": 0}


def _create_route(
    wmi: FakeWmi, ns: str, _instance: FakeInstance | None, params: dict[str, Any]
) -> dict[str, Any]:
    index = int(params["InterfaceIndex"])
    destination = str(ipaddress.ip_network(str(params["DestinationPrefix"]), strict=False))
    hop = str(params["NextHop"])
    for item in wmi.instances(ns, "MSFT_NetRoute"):
        p = item.props
        if (p["DestinationPrefix"], p["NextHop"], p["InterfaceIndex"]) == (destination, hop, index):
            raise wmi_error("Create", WBEM_E_ALREADY_EXISTS, destination)
    add_route(wmi, index, destination, hop, ROUTE_NETMGMT)
    return {"ReturnValue": 0}


def _put_interface(
    wmi: FakeWmi, ns: str, instance: FakeInstance | None, props: dict[str, Any]
) -> dict[str, Any]:
    assert instance is not None
    if props.get("Dhcp") == 0 and instance.props["Dhcp"] == 1:
        # leases go when DHCP is turned off
        for item in wmi.instances(ns, "MSFT_NetIPAddress"):
            p = item.props
            same = (p["InterfaceIndex"], p["AddressFamily"]) == (
                instance.props["InterfaceIndex"],
                instance.props["AddressFamily"],
            )
            if same and p["PrefixOrigin"] == ORIGIN_DHCP:
                wmi.remove(ns, item)
    mtu = props.get("NlMtu")
    if mtu is not None and not (576 if instance.props["AddressFamily"] == IPV4 else 1280) <= mtu:
        raise wmi_error("put", WBEM_E_INVALID_PARAMETER, f"NlMtu={mtu}")
    return {}


def _put_advanced(
    wmi: FakeWmi, ns: str, instance: FakeInstance | None, props: dict[str, Any]
) -> dict[str, Any]:
    # Set-NetAdapterAdvancedProperty: RegistryValue is a string array; a value outside the
    # property's NumericParameterMinValue..MaxValue is refused ("WMI Error Constants")
    assert instance is not None
    value = props.get("RegistryValue")
    if value is not None:
        low = int(instance.props["NumericParameterMinValue"])
        high = int(instance.props["NumericParameterMaxValue"])
        ok = isinstance(value, tuple) and len(value) == 1 and str(value[0]).isdigit()
        if not ok or not low <= int(value[0]) <= high:
            raise wmi_error("put", WBEM_E_INVALID_PARAMETER, f"RegistryValue={value!r}")
        instance.props["DisplayValue"] = str(value[0])
    return {}


def install_network(wmi: FakeWmi) -> None:
    wmi.define(NS, "MSFT_NetAdapter")
    wmi.define(NS, "MSFT_NetAdapterAdvancedPropertySettingData", {"__put": _put_advanced})
    wmi.define(NS, "MSFT_NetIPInterface", {"__put": _put_interface})
    wmi.define(NS, "MSFT_NetIPAddress", {"Create": _create_address})
    wmi.define(NS, "MSFT_NetRoute", {"Create": _create_route})
    wmi.define(NS, "MSFT_DNSClientServerAddress")
    wmi.define(NS, "MSFT_DNSClientGlobalSetting")
    if not wmi.instances(NS, "MSFT_DNSClientGlobalSetting"):
        wmi.add(NS, "MSFT_DNSClientGlobalSetting", {"SuffixSearchList": ()}, ())


def add_adapter(
    wmi: FakeWmi,
    name: str,
    mac: str,
    index: int,
    *,
    dhcp_address: str | None = None,
    vlan: bool = True,
    description: str = "Red Hat VirtIO Ethernet Adapter",
) -> FakeInstance:
    """An adapter as Windows finds it after sysprep: DHCP on both families, MTU 1500, and
    (``vlan``) a driver offering the VlanID advanced property, set to 0 (untagged)."""
    install_network(wmi)
    device = f"{{{index:08X}-0000-0000-0000-000000000000}}"
    adapter = wmi.add(
        NS,
        "MSFT_NetAdapter",
        {
            "Name": name,
            "InterfaceIndex": index,
            "MacAddress": mac.upper().replace(":", "-"),
            "InterfaceDescription": description,
            "Status": "Up",
            "DeviceID": device,
        },
        ("DeviceID",),
    )
    if vlan:
        advanced = {
            "InstanceID": f"{device}::VlanID",
            "Name": name,
            "DisplayName": "VLAN ID",
            "RegistryKeyword": "VlanID",
            "RegistryValue": ("0",),
            "DisplayValue": "0",
            "NumericParameterMinValue": 0,
            "NumericParameterMaxValue": 4094,
        }
        wmi.add(NS, "MSFT_NetAdapterAdvancedPropertySettingData", advanced, ("InstanceID",))
    bind_ip(wmi, index)
    if dhcp_address:
        add_address(wmi, index, dhcp_address, 24, ORIGIN_DHCP)
    return adapter


def next_index(wmi: FakeWmi) -> int:
    """The InterfaceIndex a new adapter gets (Windows never reuses a live one)."""
    return 1 + max(
        (int(a.props["InterfaceIndex"]) for a in wmi.instances(NS, "MSFT_NetAdapter")), default=0
    )


def bind_ip(wmi: FakeWmi, index: int) -> None:
    """TCP/IP bound to an adapter: an IP interface per family, DHCP on, MTU 1500, no DNS."""
    for family in (IPV4, IPV6):
        props = {"InterfaceIndex": index, "AddressFamily": family, "Dhcp": 1, "NlMtu": 1500}
        wmi.add(NS, "MSFT_NetIPInterface", props, ("InterfaceIndex", "AddressFamily"))
        server = {"InterfaceIndex": index, "AddressFamily": family, "ServerAddresses": ()}
        wmi.add(NS, "MSFT_DNSClientServerAddress", server, ("InterfaceIndex", "AddressFamily"))


def unbind_ip(wmi: FakeWmi, index: int) -> None:
    """TCP/IP unbound (a team member, a removed team interface): its IP interfaces,
    addresses, routes and DNS servers go."""
    for cls in (
        "MSFT_NetIPInterface",
        "MSFT_NetIPAddress",
        "MSFT_NetRoute",
        "MSFT_DNSClientServerAddress",
    ):
        for item in wmi.instances(NS, cls):
            if item.props["InterfaceIndex"] == index:
                wmi.remove(NS, item)


def add_address(wmi: FakeWmi, index: int, address: str, prefix: int, origin: int) -> None:
    props = {
        "InterfaceIndex": index,
        "IPAddress": address,
        "AddressFamily": _family(address),
        "PrefixLength": prefix,
        "PrefixOrigin": origin,
    }
    wmi.add(NS, "MSFT_NetIPAddress", props, ("InterfaceIndex", "IPAddress"))


def add_route(wmi: FakeWmi, index: int, destination: str, hop: str, protocol: int) -> None:
    props = {
        "InterfaceIndex": index,
        "DestinationPrefix": destination,
        "NextHop": hop,
        "AddressFamily": _family(hop),
        "Protocol": protocol,
        "RouteMetric": 256,
    }
    wmi.add(NS, "MSFT_NetRoute", props, ("InterfaceIndex", "DestinationPrefix", "NextHop"))
