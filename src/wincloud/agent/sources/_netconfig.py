"""cloud-init's network config (version 1, and version 2's ``ethernets``) into Nova's
network_data document, the one format the network plugin applies. NoCloud's
``network-config`` (what Proxmox writes) and VMware guestinfo's ``network`` use it.

Only what can be matched to an adapter is kept: physical interfaces with a MAC address
(``mac_address`` in v1, ``match: {macaddress}`` in v2); bonds, bridges and VLANs are
logged and left out. Values are passed on as given: the network plugin checks the whole
document (addresses, masks, MACs) before applying anything. Shapes that are not network
config at all (not a mapping, an unknown version) are InvalidMetadata."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from wincloud.errors import InvalidMetadata

log = logging.getLogger(__name__)

MAX_ITEMS: Final = 256
V1_TYPES: Final = {
    "dhcp": "ipv4_dhcp",
    "dhcp4": "ipv4_dhcp",
    "dhcp6": "ipv6_dhcp",
    "ipv6_slaac": "ipv6_slaac",
    "ipv6_dhcpv6-stateless": "ipv6_dhcpv6-stateless",
    "ipv6_dhcpv6-stateful": "ipv6_dhcpv6-stateful",
}
ANY4: Final = "0.0.0.0"  # noqa: S104 - a default route's destination


def _list(value: Any, what: str, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise InvalidMetadata(f"{what} must be a list (at most {MAX_ITEMS})", subject=where)
    return value


def _mac(value: Any) -> str:
    """A MAC address as text. YAML 1.1 (PyYAML) reads an unquoted MAC whose six groups are
    decimal digits below 60, the first not 0 (``52:54:00:12:34:56``, QEMU's prefix), as a
    base-60 integer: the groups are recovered rather than passing on a number no adapter has."""
    if isinstance(value, int) and not isinstance(value, bool) and 60**5 <= value < 60**6:
        groups = []
        for _ in range(6):
            value, group = divmod(value, 60)
            groups.append(f"{group:02d}")
        return ":".join(reversed(groups))
    return str(value).lower()


def _dns(values: list[Any]) -> list[dict[str, str]]:
    return [{"type": "dns", "address": str(v)} for v in values]


def _default_route(gateway: Any) -> dict[str, str]:
    six = ":" in str(gateway)
    return {
        "network": "::" if six else ANY4,
        "netmask": "0" if six else ANY4,
        "gateway": str(gateway),
    }


def _v1_network(link: str, index: int, subnet: Mapping[str, Any], where: str) -> dict[str, Any]:
    kind = str(subnet.get("type", ""))
    ident = f"{link}-{index}"
    if kind in V1_TYPES:
        return {"id": ident, "link": link, "type": V1_TYPES[kind]}
    if kind not in ("static", "static6"):
        raise InvalidMetadata(f"unknown subnet type {kind[:30]!r}", subject=where)
    address = str(subnet.get("address", ""))
    net: dict[str, Any] = {
        "id": ident,
        "link": link,
        "type": "ipv6" if ":" in address or kind == "static6" else "ipv4",
        "ip_address": address,
        "routes": [],
        "services": _dns(_list(subnet.get("dns_nameservers"), "dns_nameservers", where)),
    }
    if subnet.get("netmask"):
        net["netmask"] = str(subnet["netmask"])
    if subnet.get("gateway"):
        net["routes"].append(_default_route(subnet["gateway"]))
    for route in _list(subnet.get("routes"), "routes", where):
        if not isinstance(route, dict):
            raise InvalidMetadata("a route must be a mapping", subject=where)
        network, _, prefix = str(route.get("network") or route.get("destination", "")).partition(
            "/"
        )
        net["routes"].append(
            {
                "network": network,
                "netmask": str(route.get("netmask") or prefix or "0"),
                "gateway": str(route.get("gateway", "")),
            }
        )
    return net


def _from_v1(items: list[Any], where: str) -> dict[str, Any]:
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    services: list[dict[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidMetadata("config entries must be mappings", subject=where)
        kind = item.get("type")
        if kind == "nameserver":
            services += _dns(_list(item.get("address"), "nameserver address", where))
            continue
        if kind != "physical":
            log.warning("network config entry left out type=%r where=%s", str(kind)[:30], where)
            continue
        name = str(item.get("name") or f"eth{len(links)}")
        if not item.get("mac_address"):
            log.warning("network config interface without a MAC left out name=%r", name[:30])
            continue
        link: dict[str, Any] = {
            "id": name,
            "type": "phy",
            "ethernet_mac_address": _mac(item["mac_address"]),
        }
        if item.get("mtu") is not None:
            link["mtu"] = item["mtu"]
        links.append(link)
        for index, subnet in enumerate(_list(item.get("subnets"), "subnets", where)):
            if not isinstance(subnet, dict):
                raise InvalidMetadata("subnets must be mappings", subject=where)
            networks.append(_v1_network(name, index, subnet, where))
    return {"links": links, "networks": networks, "services": services}


def _from_v2(ethernets: Any, where: str) -> dict[str, Any]:
    if not isinstance(ethernets, dict) or len(ethernets) > MAX_ITEMS:
        raise InvalidMetadata("ethernets must be a mapping", subject=where)
    items: list[dict[str, Any]] = []
    for name, eth in ethernets.items():
        if not isinstance(eth, dict):
            raise InvalidMetadata("ethernets entries must be mappings", subject=where)
        raw_match = eth.get("match")
        match: dict[str, Any] = raw_match if isinstance(raw_match, dict) else {}
        subnets: list[dict[str, Any]] = []
        if eth.get("dhcp4"):
            subnets.append({"type": "dhcp4"})
        if eth.get("dhcp6"):
            subnets.append({"type": "dhcp6"})
        raw_ns = eth.get("nameservers")
        nameservers: dict[str, Any] = raw_ns if isinstance(raw_ns, dict) else {}
        for address in _list(eth.get("addresses"), "addresses", where):
            six = ":" in str(address)
            gateway = eth.get("gateway6" if six else "gateway4")
            subnet: dict[str, Any] = {"type": "static6" if six else "static", "address": address}
            if gateway:
                subnet["gateway"] = gateway
            subnet["dns_nameservers"] = _list(nameservers.get("addresses"), "nameservers", where)
            subnets.append(subnet)
        items.append(
            {
                "type": "physical",
                "name": str(eth.get("set-name") or name),
                "mac_address": match.get("macaddress") or eth.get("macaddress"),
                "mtu": eth.get("mtu"),
                "subnets": subnets,
            }
        )
    return _from_v1(items, where)


def network_data_from_config(doc: Any, *, where: str) -> dict[str, Any] | None:
    """Nova network_data for a v1 or v2 network config (``network:`` wrapper allowed);
    None when it configures no adapter that can be matched (or disables networking)."""
    if isinstance(doc, dict) and set(doc) == {"network"}:
        doc = doc["network"]
    if not isinstance(doc, dict):
        raise InvalidMetadata("network config must be a mapping", subject=where)
    if doc.get("config") == "disabled":
        return None
    version = doc.get("version")
    if version == 1:
        found = _from_v1(_list(doc.get("config"), "config", where), where)
    elif version == 2:
        found = _from_v2(doc.get("ethernets") or {}, where)
        for kind in ("bonds", "bridges", "vlans"):
            if doc.get(kind):
                log.warning("network config %s left out where=%s", kind, where)
    else:
        raise InvalidMetadata(
            f"unknown network config version {str(version)[:10]!r}", subject=where
        )
    return found if found["links"] else None
