"""Checks every backend applies before a value reaches the OS (same rules, same errors)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.values import NetworkPlan, PageFile
from wincloud.secret import Secret

_LABEL: Final = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_ZONE: Final = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")
_NTP: Final = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")
_MAC: Final = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_IFNAME: Final = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
_PRODUCT_KEY: Final = re.compile(r"^[A-Z0-9]{5}(-[A-Z0-9]{5}){4}$")
_DNS_NAME: Final = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
_THUMBPRINT: Final = re.compile(r"^[0-9A-F]{40}$")
_PAGE_FILE: Final = re.compile(r"^[A-Za-z]:\\[^<>:\"/|?*]+$")
_WINDOWS_GROUP_BAD: Final = frozenset('"/\\[]:|<>+=;,?*@')


def check_hostname(name: str) -> str:
    if len(name) > 253 or not all(_LABEL.fullmatch(part) for part in name.split(".")):
        raise PlatformError(
            "invalid host name",
            operation="set_hostname",
            subject=repr(name[:80]),
            hint="use dot-separated labels of letters, digits and '-' (1-63 each)",
        )
    return name


def check_username(name: str) -> str:
    if not _USER.fullmatch(name):
        raise PlatformError(
            "invalid user name",
            operation="user",
            subject=repr(name[:80]),
            hint="start with a letter or '_', then letters, digits, '_', '.', '-' (max 32)",
        )
    return name


def check_password(name: str, password: Secret) -> str:
    value = password.reveal()
    if not value or any(ch in value for ch in "\n\r\0"):
        raise PlatformError(
            "a password must be non-empty and hold no line break or NUL",
            operation="set_password",
            subject=name,
        )
    return value


def check_timezone(name: str, *, known: bool) -> str:
    if not _ZONE.fullmatch(name) or not known:
        raise PlatformError(
            "unknown time zone",
            operation="set_timezone",
            subject=repr(name[:80]),
            hint="use an IANA zone name such as UTC or Europe/Paris",
        )
    return name


def check_ntp_server(server: str) -> str:
    if not _NTP.fullmatch(server):
        raise PlatformError("invalid NTP server", operation="set_ntp", subject=repr(server[:80]))
    return server


def check_computer_name(name: str) -> str:
    """A Windows computer name: one DNS label, not only digits."""
    check_hostname(name)
    if "." in name or name.isdigit():
        raise PlatformError(
            "invalid Windows computer name",
            operation="set_hostname",
            subject=repr(name[:80]),
            hint="use one label of letters, digits and '-', not only digits",
        )
    return name


def check_group(name: str, *, windows: bool) -> str:
    """POSIX: a name like a user name; Windows: 1-256 characters, none of
    ``"/\\[]:|<>+=;,?*@``."""
    if not windows:
        return check_username(name)
    if not 0 < len(name) <= 256 or any(ch in _WINDOWS_GROUP_BAD for ch in name):
        raise PlatformError("invalid group name", operation="group", subject=repr(name[:80]))
    return name


def check_product_key(key: Secret) -> str:
    """Five groups of five letters or digits; returned uppercase. The key is never shown."""
    value = key.reveal().strip().upper()
    if not _PRODUCT_KEY.fullmatch(value):
        raise PlatformError(
            "a product key is five groups of five letters or digits (XXXXX-XXXXX-...)",
            operation="install_key",
        )
    return value


def check_kms_host(host: str) -> str:
    """``name``, ``name:port``, an IPv4 address, or ``[IPv6]:port``; "" clears."""
    if not host:
        return host
    name, port = host, ""
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
        valid = bool(bracket) and _is_ip(name, 6) and (rest == "" or rest.startswith(":"))
    else:
        if host.count(":") == 1:
            name, port = host.split(":")
        valid = _is_ip(name, 4) or bool(_DNS_NAME.fullmatch(name))
    if not valid or (port and not (port.isdigit() and 0 < int(port) < 65536)):
        raise PlatformError("invalid KMS host", operation="set_kms_host", subject=repr(host[:80]))
    return host


def check_port(port: int, *, operation: str) -> int:
    if not 0 < port < 65536:
        raise PlatformError("port out of range (1-65535)", operation=operation, subject=str(port))
    return port


def check_thumbprint(thumbprint: str) -> str:
    """A SHA-1 certificate thumbprint: 40 hexadecimal digits, returned uppercase."""
    value = thumbprint.replace(" ", "").upper()
    if not _THUMBPRINT.fullmatch(value):
        raise PlatformError(
            "a thumbprint is 40 hexadecimal digits", operation="certificate", subject=thumbprint
        )
    return value


def check_page_files(files: Sequence[PageFile] | None) -> None:
    for item in files or ():
        sized = item.initial_mb or item.maximum_mb
        if not _PAGE_FILE.fullmatch(item.path) or item.initial_mb < 0 or item.maximum_mb < 0:
            raise PlatformError("invalid page file", operation="page_file", subject=item.path)
        if sized and not 0 < item.initial_mb <= item.maximum_mb:
            raise PlatformError(
                "a page file needs 0 < initial_mb <= maximum_mb (or both 0)",
                operation="page_file",
                subject=item.path,
            )


def _is_ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _check_links(plan: NetworkPlan) -> None:
    physical = {i.mac for i in plan.interfaces if i.kind == "physical"}
    bonds = {i.name for i in plan.interfaces if i.kind == "bond"}
    names: set[str] = set()
    for iface in plan.interfaces:
        if iface.kind == "physical":
            if iface.name or iface.members or iface.vlan_id is not None:
                raise PlatformError(
                    "a physical link has no name, members or VLAN id",
                    operation="network",
                    subject=iface.mac,
                )
            continue
        if not _IFNAME.fullmatch(iface.name) or iface.name in names:
            raise PlatformError(
                "invalid or repeated interface name", operation="network", subject=iface.name
            )
        names.add(iface.name)
        if iface.mac and not _MAC.fullmatch(iface.mac):
            raise PlatformError("invalid MAC", operation="network", subject=iface.name)
        if iface.kind == "bond":
            if not iface.members or not set(iface.members) <= physical:
                raise PlatformError(
                    "a bond's members must be planned physical links",
                    operation="network",
                    subject=iface.name,
                )
        elif iface.kind == "vlan":
            if iface.vlan_id is None or not 1 <= iface.vlan_id <= 4094:
                raise PlatformError("VLAN id out of range", operation="network", subject=iface.name)
            if iface.link not in physical | bonds:
                raise PlatformError(
                    "a VLAN's parent must be a planned physical link or bond",
                    operation="network",
                    subject=iface.name,
                )


def check_plan(plan: NetworkPlan) -> NetworkPlan:
    """Every MAC, name, address, route and DNS server parses; physical MACs are lowercase and
    unique; bonds and VLANs refer to planned links."""
    seen: set[str] = set()
    for iface in plan.interfaces:
        if iface.kind == "physical":
            if not _MAC.fullmatch(iface.mac) or iface.mac in seen:
                raise PlatformError(
                    "invalid or repeated MAC", operation="network", subject=iface.mac
                )
            seen.add(iface.mac)
        if iface.mtu is not None and not 68 <= iface.mtu <= 65535:
            raise PlatformError("MTU out of range", operation="network", subject=iface.key)
        try:
            for address in iface.addresses:
                ipaddress.ip_interface(address)
            for route in iface.routes:
                ipaddress.ip_network(route.destination, strict=False)
                ipaddress.ip_address(route.gateway)
        except ValueError as exc:
            raise PlatformError(
                "invalid address or route", operation="network", subject=iface.key, detail=str(exc)
            ) from None
    _check_links(plan)
    for server in plan.dns_servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise PlatformError("invalid DNS server", operation="network", subject=server) from None
    return plan
