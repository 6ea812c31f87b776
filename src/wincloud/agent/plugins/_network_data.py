"""Nova's network_data.json into a NetworkPlan, checked as a whole (a wrong document is an
InvalidMetadata naming the field, before anything is applied). Pure.

links: ``phy`` (and every other Nova type: ``ovs``, ``bridge``, ``tap``, ``vif``, ...) are
physical adapters matched by ``ethernet_mac_address``; ``bond`` (``bond_links``,
``bond_mode``, ``bond_miimon``, ``bond_xmit_hash_policy``) and ``vlan`` (``vlan_link``,
``vlan_id``, ``vlan_mac_address``) are created. networks: ``ipv4``/``ipv6`` (``ip_address``
with ``netmask`` or a prefix, ``routes``, ``services``/``dns_nameservers``), ``ipv4_dhcp``,
``ipv6_dhcp``, ``ipv6_dhcpv6-stateful``, ``ipv6_dhcpv6-stateless``, ``ipv6_slaac``.
services: ``dns``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Final, cast

import msgspec

from wincloud.errors import InvalidMetadata
from wincloud.platform.base import BondMode, InterfacePlan, NetworkPlan, RoutePlan

DHCP_TYPES: Final = {
    "ipv4_dhcp": (True, False, False),
    "ipv6_dhcp": (False, True, False),
    "ipv6_dhcpv6-stateful": (False, True, False),
    "ipv6_dhcpv6-stateless": (False, True, True),
    "ipv6_slaac": (False, False, True),
}
"""type -> (dhcp4, dhcp6, ipv6_autoconf)."""
BOND_MODES: Final[tuple[BondMode, ...]] = (
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
)
"""Index = the kernel's numeric mode."""
_MAC: Final = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}\Z")
_IFNAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,15}\Z")


class _Doc:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, at: str, message: str) -> InvalidMetadata:
        return InvalidMetadata(message, subject=f"{self.where} {at}")

    def items(self, doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of objects")
        return value

    def text(self, item: Mapping[str, Any], key: str, at: str, *, required: bool = False) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value:
            raise self.fail(f"{at}.{key}", "must be a non-empty string")
        return value

    def mac(self, item: Mapping[str, Any], key: str, at: str, *, required: bool = False) -> str:
        value = self.text(item, key, at, required=required).lower()
        if value and not _MAC.match(value):
            raise self.fail(f"{at}.{key}", "is not a MAC address")
        return value.replace("-", ":")

    def number(self, item: Mapping[str, Any], key: str, at: str, low: int, high: int) -> int | None:
        value = item.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(f"{at}.{key}", f"must be an integer from {low} to {high}")
        return value

    def ip(self, value: Any, at: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        try:
            return ipaddress.ip_address(str(value))
        except ValueError:
            raise self.fail(at, "is not an IP address") from None

    def prefix(self, mask: Any, at: str, version: int) -> int:
        text = str(mask)
        if text.isdigit() and int(text) <= (32 if version == 4 else 128):
            return int(text)
        bits = int(self.ip(mask, at))
        width = 32 if version == 4 else 128
        length = bin(bits).count("1")
        if bits != ((1 << length) - 1) << (width - length):
            raise self.fail(at, "is not a contiguous netmask")
        return length


def _link(doc: _Doc, link: Mapping[str, Any], at: str, keys: dict[str, str]) -> InterfacePlan:
    kind = doc.text(link, "type", at) or "phy"
    mtu = doc.number(link, "mtu", at, 68, 65535)
    ident = doc.text(link, "id", at, required=True)
    if kind not in ("bond", "vlan"):
        return InterfacePlan(mac=doc.mac(link, "ethernet_mac_address", at, required=True), mtu=mtu)
    if kind == "bond":
        members = link.get("bond_links")
        if not isinstance(members, list) or not members:
            raise doc.fail(f"{at}.bond_links", "a bond needs a list of links")
        macs = []
        for ref in members:
            if not isinstance(ref, str) or ref not in keys or ":" not in keys[ref]:
                raise doc.fail(f"{at}.bond_links", f"{ref!r} is no physical link listed before")
            macs.append(keys[ref])
        return InterfacePlan(
            mac=doc.mac(link, "ethernet_mac_address", at),
            mtu=mtu,
            kind="bond",
            name=ident if _IFNAME.match(ident) else f"bond{len(keys)}",
            members=tuple(macs),
            bond_mode=_bond_mode(doc, link.get("bond_mode"), f"{at}.bond_mode"),
            bond_miimon=doc.number(link, "bond_miimon", at, 0, 100000),
            bond_hash_policy=doc.text(link, "bond_xmit_hash_policy", at),
        )
    vlan_id = doc.number(link, "vlan_id", at, 1, 4094)
    parent = doc.text(link, "vlan_link", at, required=True)
    if vlan_id is None:
        raise doc.fail(f"{at}.vlan_id", "a VLAN needs an id from 1 to 4094")
    if parent not in keys:
        raise doc.fail(f"{at}.vlan_link", f"{parent!r} is no link listed before")
    return InterfacePlan(
        mac=doc.mac(link, "vlan_mac_address", at) or doc.mac(link, "ethernet_mac_address", at),
        mtu=mtu,
        kind="vlan",
        name=ident if _IFNAME.match(ident) else f"vlan{vlan_id}",
        link=keys[parent],
        vlan_id=vlan_id,
    )


def _bond_mode(doc: _Doc, value: Any, at: str) -> BondMode | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(BOND_MODES):
        return BOND_MODES[value]
    if isinstance(value, str) and value.isdigit() and int(value) < len(BOND_MODES):
        return BOND_MODES[int(value)]
    if value in BOND_MODES:
        return cast(BondMode, value)
    raise doc.fail(at, f"unknown bond mode; one of {', '.join(BOND_MODES)}")


def _dns(doc: _Doc, item: Mapping[str, Any], at: str) -> list[str]:
    found = [
        str(doc.ip(s.get("address"), f"{at}.services[{i}].address"))
        for i, s in enumerate(doc.items(item, "services"))
        if s.get("type", "dns") == "dns"
    ]
    names = item.get("dns_nameservers") or []
    if not isinstance(names, list):
        raise doc.fail(f"{at}.dns_nameservers", "must be a list")
    return found + [str(doc.ip(n, f"{at}.dns_nameservers[{i}]")) for i, n in enumerate(names)]


def _static(doc: _Doc, net: Mapping[str, Any], at: str, kind: str) -> tuple[str, list[RoutePlan]]:
    version = 4 if kind == "ipv4" else 6
    raw = doc.text(net, "ip_address", at, required=True)
    address, _, given_prefix = raw.partition("/")
    ip = doc.ip(address, f"{at}.ip_address")
    if ip.version != version:
        raise doc.fail(f"{at}.ip_address", f"is not IPv{version} but the network is {kind}")
    mask = given_prefix or net.get("netmask") or ("32" if version == 4 else "128")
    prefix = doc.prefix(mask, f"{at}.netmask", version)
    routes = []
    for i, route in enumerate(doc.items(net, "routes")):
        rat = f"{at}.routes[{i}]"
        destination = doc.ip(route.get("network"), f"{rat}.network")
        length = doc.prefix(route.get("netmask", "0"), f"{rat}.netmask", destination.version)
        gateway = doc.ip(route.get("gateway"), f"{rat}.gateway")
        if destination.version != gateway.version:
            raise doc.fail(rat, "network and gateway are of different IP versions")
        network = ipaddress.ip_network(f"{destination}/{length}", strict=False)
        routes.append(RoutePlan(str(network), str(gateway)))
    return f"{ip}/{prefix}", routes


def parse_network_data(data: Mapping[str, Any], *, where: str = "network_data.json") -> NetworkPlan:
    """The plan for every link that has a network (and the bond members and VLAN parents
    they need)."""
    doc = _Doc(where)
    plans: dict[str, InterfacePlan] = {}
    keys: dict[str, str] = {}
    for i, link in enumerate(doc.items(data, "links")):
        plan = _link(doc, link, f"links[{i}]", keys)
        ident = str(link.get("id"))
        if ident in keys:
            raise doc.fail(f"links[{i}].id", f"{ident!r} appears twice")
        keys[ident] = plan.key
        plans[plan.key] = plan
    dns: list[str] = _dns(doc, data, "")
    for i, net in enumerate(doc.items(data, "networks")):
        at = f"networks[{i}]"
        kind = doc.text(net, "type", at, required=True)
        link_id = doc.text(net, "link", at, required=True)
        if link_id not in keys:
            raise doc.fail(f"{at}.link", f"{link_id!r} is no link of links")
        plan = plans[keys[link_id]]
        if kind in DHCP_TYPES:
            dhcp4, dhcp6, auto = DHCP_TYPES[kind]
            plan = msgspec.structs.replace(
                plan,
                dhcp4=plan.dhcp4 or dhcp4,
                dhcp6=plan.dhcp6 or dhcp6,
                ipv6_autoconf=plan.ipv6_autoconf or auto,
            )
        elif kind in ("ipv4", "ipv6"):
            address, routes = _static(doc, net, at, kind)
            plan = msgspec.structs.replace(
                plan, addresses=(*plan.addresses, address), routes=(*plan.routes, *routes)
            )
        else:
            raise doc.fail(f"{at}.type", f"unknown network type {kind!r}")
        plans[plan.key] = plan
        dns += _dns(doc, net, at)
    return NetworkPlan(interfaces=tuple(plans.values()), dns_servers=tuple(dict.fromkeys(dns)))
