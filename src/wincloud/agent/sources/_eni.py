"""A Debian ``interfaces`` file (ENI) into Nova's network_data, the one network format the
network plugin applies. Config drives carry one when ``meta_data.json`` names it in
``network_config.content_path`` (``/content/0000``): Proxmox VE's ``configdrive2`` drives do
(for Windows guests: ``iface eth0 inet static`` with ``address``, ``netmask``, ``gateway``,
``dns-nameservers``, and ``inet6`` static/``auto``/``dhcp``; older ones also an ``auto lo``
stanza holding ``dns_nameservers``/``dns_search``), and so did Nova's injected network
template.

Such a file names its interfaces ``eth0``, ``eth1``… and usually gives no MAC address, and
those names mean nothing to Windows (nor to a Linux with predictable names). An interface is
applied only when it can be tied to one adapter without guessing: by its own ``hwaddress``
line, or, when the file names a single interface, when the guest has a single adapter (one
MAC). Anything else is logged with the reason and left out; the rest of the drive is used."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

from msgspec import Struct, field

from wincloud.errors import InvalidMetadata

log = logging.getLogger(__name__)

MAX_LINES: Final = 4096
MAX_INTERFACES: Final = 64
ANY4: Final = "0.0.0.0"  # noqa: S104 - a default route's destination
MAX_BYTES: Final = 1024 * 1024
_DHCP: Final = {
    ("inet", "dhcp"): "ipv4_dhcp",
    ("inet6", "dhcp"): "ipv6_dhcp",
    ("inet6", "auto"): "ipv6_slaac",
}
_STATIC: Final = {("inet", "static"): "ipv4", ("inet6", "static"): "ipv6"}
_IGNORED: Final = frozenset({"manual", "loopback", "ppp", "bootp", "tunnel", "v4tunnel"})


class Stanza(Struct):
    family: str
    method: str
    options: dict[str, list[str]] = field(default_factory=dict)


class Interface(Struct):
    name: str
    stanzas: list[Stanza] = field(default_factory=list)

    def option(self, key: str) -> str | None:
        """The first value of ``key`` in any of the interface's stanzas."""
        for stanza in self.stanzas:
            values = stanza.options.get(key)
            if values:
                return " ".join(values)
        return None


class Interfaces(Struct):
    interfaces: dict[str, Interface] = field(default_factory=dict)
    """Name -> interface, in the file's order; ``lo`` is not kept."""
    dns: list[str] = field(default_factory=list)
    """``dns-nameservers``/``dns_nameservers`` of ``lo`` or outside any ``iface`` stanza."""


def _lines(text: str, where: str) -> list[list[str]]:
    """Logical lines (a ``\\`` at the end joins the next), split into words; comments and
    blank lines dropped."""
    out: list[list[str]] = []
    pending = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if number > MAX_LINES:
            raise InvalidMetadata(f"more than {MAX_LINES} lines", subject=where)
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        words = line.split("#", 1)[0].split()
        if words:
            out.append(words)
    return out


def parse_interfaces(text: str, *, where: str) -> Interfaces:
    """The ``iface`` stanzas of an interfaces(5) file. ``source`` and ``mapping`` are logged
    and left out (nothing is read from the guest); a stanza line with too few words is
    InvalidMetadata naming the file."""
    found = Interfaces()
    current: Stanza | None = None
    for words in _lines(text, where):
        keyword = words[0]
        if keyword == "iface":
            if len(words) < 4:
                raise InvalidMetadata(
                    "an iface line needs a name, a family and a method", subject=where
                )
            name, family, method = words[1], words[2], words[3]
            current = Stanza(family, method)
            if name == "lo":
                continue
            if name not in found.interfaces:
                if len(found.interfaces) >= MAX_INTERFACES:
                    raise InvalidMetadata(f"more than {MAX_INTERFACES} interfaces", subject=where)
                found.interfaces[name] = Interface(name)
            found.interfaces[name].stanzas.append(current)
        elif keyword == "auto" or keyword.startswith("allow-"):
            current = None
        elif keyword in ("source", "source-directory", "mapping"):
            log.warning("interfaces line left out keyword=%s where=%s", keyword, where)
            current = None
        elif keyword in ("dns-nameservers", "dns_nameservers") and (
            current is None or current.method == "loopback"
        ):
            found.dns += words[1:]
        elif current is not None:
            current.options.setdefault(keyword.replace("_", "-"), []).extend(words[1:])
    return found


def _mac(interface: Interface) -> str | None:
    """``hwaddress [ether] MAC``."""
    value = interface.option("hwaddress")
    if not value:
        return None
    mac = value.split()[-1].lower().replace("-", ":")
    return None if mac == "ether" else mac


def tie_to_adapters(
    found: Interfaces, adapter_macs: Sequence[str], *, where: str
) -> dict[str, str]:
    """Interface name -> MAC, for the interfaces that can be tied to an adapter without
    guessing; each one left out is logged with the reason."""
    macs = sorted({mac.lower() for mac in adapter_macs if mac.strip("0:-")})  # not 00:00:…
    tied: dict[str, str] = {}
    for name, interface in found.interfaces.items():
        mac = _mac(interface)
        if mac is not None:
            tied[name] = mac
            log.info("network interface tied by its hwaddress name=%s mac=%s", name[:40], mac[:40])
            continue
        if len(found.interfaces) > 1:
            reason = f"several-interfaces-in-the-file count={len(found.interfaces)}"
        elif len(macs) != 1:
            reason = f"{'no' if not macs else 'several'}-adapters count={len(macs)}"
        else:
            tied[name] = macs[0]
            log.info(
                "network interface tied to the only adapter name=%s mac=%s where=%s",
                name[:40],
                macs[0],
                where,
            )
            continue
        log.warning(
            "network interface not applied: it names no MAC address and cannot be tied to "
            "one adapter name=%s reason=%s where=%s hint=give network_data.json "
            "(Proxmox: cicustom network=...) or use DHCP",
            name[:40],
            reason,
            where,
        )
    return tied


def _dns(values: list[str]) -> list[dict[str, str]]:
    return [{"type": "dns", "address": value} for value in values]


def _network(name: str, index: int, stanza: Stanza) -> dict[str, Any] | None:
    ident = f"{name}-{index}"
    key = (stanza.family, stanza.method)
    if key in _DHCP:
        return {"id": ident, "link": name, "type": _DHCP[key]}
    if key not in _STATIC:
        if stanza.method not in _IGNORED:
            log.warning(
                "network stanza left out family=%s method=%s name=%s",
                stanza.family[:20],
                stanza.method[:20],
                name[:40],
            )
        return None

    def first(option: str) -> str:
        return " ".join(stanza.options.get(option, [])[:1])

    if not first("address"):
        log.warning(
            "network stanza left out reason=static-without-address family=%s name=%s",
            stanza.family[:20],
            name[:40],
        )
        return None
    net: dict[str, Any] = {
        "id": ident,
        "link": name,
        "type": _STATIC[key],
        "ip_address": first("address"),
        "routes": [],
        "services": _dns(stanza.options.get("dns-nameservers", [])),
    }
    if first("netmask"):
        net["netmask"] = first("netmask")
    if first("gateway"):
        six = stanza.family == "inet6"
        net["routes"].append(
            {
                "network": "::" if six else ANY4,
                "netmask": "0" if six else ANY4,
                "gateway": first("gateway"),
            }
        )
    return net


def network_data_from_interfaces(found: Interfaces, tied: dict[str, str]) -> dict[str, Any] | None:
    """Nova network_data for the tied interfaces (None when none is). Values are passed on as
    written: the network plugin checks the whole document before applying anything."""
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    for name, interface in found.interfaces.items():
        if name not in tied:
            continue
        link: dict[str, Any] = {"id": name, "type": "phy", "ethernet_mac_address": tied[name]}
        mtu = interface.option("mtu")
        if mtu is not None and mtu.isascii() and mtu.isdigit() and len(mtu) <= 9:
            link["mtu"] = int(mtu)
        links.append(link)
        for index, stanza in enumerate(interface.stanzas):
            net = _network(name, index, stanza)
            if net is not None:
                networks.append(net)
    if not links:
        return None
    return {"links": links, "networks": networks, "services": _dns(found.dns)}
