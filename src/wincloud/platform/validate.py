"""Checks every backend applies before a value reaches the OS (same rules, same errors)."""

from __future__ import annotations

import ipaddress
import re
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import NetworkPlan
from wincloud.secret import Secret

_LABEL: Final = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_USER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_ZONE: Final = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")
_NTP: Final = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")
_MAC: Final = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def check_hostname(name: str) -> str:
    if len(name) > 253 or not all(_LABEL.match(part) for part in name.split(".")):
        raise PlatformError(
            "invalid host name",
            operation="set_hostname",
            subject=repr(name[:80]),
            hint="use dot-separated labels of letters, digits and '-' (1-63 each)",
        )
    return name


def check_username(name: str) -> str:
    if not _USER.match(name):
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
    if not _ZONE.match(name) or not known:
        raise PlatformError(
            "unknown time zone",
            operation="set_timezone",
            subject=repr(name[:80]),
            hint="use an IANA zone name such as UTC or Europe/Paris",
        )
    return name


def check_ntp_server(server: str) -> str:
    if not _NTP.match(server):
        raise PlatformError("invalid NTP server", operation="set_ntp", subject=repr(server[:80]))
    return server


def check_plan(plan: NetworkPlan) -> NetworkPlan:
    """Every MAC, address, route and DNS server parses; MACs are lowercase and unique."""
    seen: set[str] = set()
    for iface in plan.interfaces:
        if not _MAC.match(iface.mac) or iface.mac in seen:
            raise PlatformError("invalid or repeated MAC", operation="network", subject=iface.mac)
        seen.add(iface.mac)
        if iface.mtu is not None and not 68 <= iface.mtu <= 65535:
            raise PlatformError("MTU out of range", operation="network", subject=iface.mac)
        try:
            for address in iface.addresses:
                ipaddress.ip_interface(address)
            for route in iface.routes:
                ipaddress.ip_network(route.destination, strict=False)
                ipaddress.ip_address(route.gateway)
        except ValueError as exc:
            raise PlatformError(
                "invalid address or route", operation="network", subject=iface.mac, detail=str(exc)
            ) from None
    for server in plan.dns_servers:
        try:
            ipaddress.ip_address(server)
        except ValueError:
            raise PlatformError("invalid DNS server", operation="network", subject=server) from None
    return plan
