"""Nova's network_data.json: links, networks and services, typed and cross-checked.

Unknown keys are kept (Nova grows this format), and keys a record leaves out stay out, so a
record copied from Nova renders as Nova wrote it.
"""

from __future__ import annotations

import functools
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_interface
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from wincloud.model.keys import normalize_mac


def _check_ip(value: str) -> str:
    ip_address(value)
    return value


def _check_ip_or_cidr(value: str) -> str:
    ip_interface(value)
    return value


IpText = Annotated[str, AfterValidator(_check_ip)]
IpOrCidrText = Annotated[str, AfterValidator(_check_ip_or_cidr)]
MacText = Annotated[str, AfterValidator(normalize_mac)]

LINK_TYPES = frozenset(
    {"bridge", "dvs", "hw_veb", "hyperv", "ovs", "tap", "vhostuser", "vif", "phy", "bond", "vlan"}
)
NETWORK_TYPES = frozenset(
    {
        "ipv4",
        "ipv6",
        "ipv4_dhcp",
        "ipv6_dhcp",
        "ipv6_slaac",
        "ipv6_dhcpv6-stateful",
        "ipv6_dhcpv6-stateless",
    }
)


class _Open(BaseModel):
    """A part of network_data: declared fields in Nova's order, unknown keys kept.

    ``render`` gives what the record said, in Nova's key order: fields the record left out
    stay out (Nova's DHCP networks have no routes, its routes no services), except those
    Nova always writes (``_always``)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def _always(self) -> dict[str, Any]:
        return {}

    def render(self) -> dict[str, Any]:
        always = self._always()
        given = self.model_fields_set
        out: dict[str, Any] = {}
        for name in _field_names(type(self)):
            if name in given:
                out[name] = _render(getattr(self, name))
            elif name in always:
                out[name] = always[name]
        extra = self.model_extra
        if extra:
            out.update(extra)
        return out


@functools.cache
def _field_names(cls: type[_Open]) -> tuple[str, ...]:
    """A part's declared fields in order (asked of pydantic once per class)."""
    return tuple(cls.model_fields)


def _render(value: Any) -> Any:
    if isinstance(value, _Open):
        return value.render()
    if isinstance(value, list):
        return [_render(item) for item in value]
    return value


class Service(_Open):
    type: str = "dns"
    address: IpText

    def _always(self) -> dict[str, Any]:
        return {"type": self.type}


class Route(_Open):
    network: IpText
    netmask: IpText
    gateway: IpText
    services: list[Service] = Field(default_factory=list)


class Link(_Open):
    id: str = Field(min_length=1)
    vif_id: str | None = None
    type: str = "phy"
    mtu: int | None = Field(default=None, ge=68, le=65535)
    ethernet_mac_address: MacText | None = None
    vlan_id: int | None = Field(default=None, ge=0, le=4095)
    vlan_link: str | None = None
    vlan_mac_address: MacText | None = None
    bond_links: list[str] | None = None
    bond_mode: str | None = None

    def _always(self) -> dict[str, Any]:
        return {"type": self.type}

    @model_validator(mode="after")
    def _kind_fields(self) -> Link:
        if self.type not in LINK_TYPES:
            raise ValueError(f"unknown link type {self.type!r}; one of {sorted(LINK_TYPES)}")
        if self.type == "vlan" and (self.vlan_id is None or not self.vlan_link):
            raise ValueError("a vlan link needs vlan_id and vlan_link")
        if self.type == "bond" and not self.bond_links:
            raise ValueError("a bond link needs bond_links")
        return self


class Network(_Open):
    id: str = Field(min_length=1)
    type: str = "ipv4"
    link: str = Field(min_length=1)
    ip_address: IpOrCidrText | None = None
    netmask: IpText | None = None
    routes: list[Route] = Field(default_factory=list)
    network_id: str | None = None
    services: list[Service] = Field(default_factory=list)

    def _always(self) -> dict[str, Any]:
        if self.type.endswith("_dhcp"):
            return {"type": self.type}
        return {"type": self.type, "routes": [], "services": []}  # Nova's static networks

    @model_validator(mode="after")
    def _static_needs_address(self) -> Network:
        if self.type not in NETWORK_TYPES:
            raise ValueError(f"unknown network type {self.type!r}; one of {sorted(NETWORK_TYPES)}")
        if self.type in {"ipv4", "ipv6"} and not self.ip_address:
            raise ValueError(f"a static {self.type} network needs ip_address")
        if self.ip_address:
            family = ip_interface(self.ip_address).version
            if self.type.startswith("ipv4") and family != 4:
                raise ValueError("ip_address is not IPv4 but the network type is ipv4")
            if self.type.startswith("ipv6") and family != 6:
                raise ValueError("ip_address is not IPv6 but the network type is ipv6")
        return self


class NetworkData(_Open):
    """Nova's network_data.json. Link and network references are checked record-wide
    (``model.checks.network_problems``), where every bad one gets its own path."""

    links: list[Link] = Field(default_factory=list)
    networks: list[Network] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)

    def _always(self) -> dict[str, Any]:
        return {"links": [], "networks": [], "services": []}

    def addresses(self) -> list[IPv4Address | IPv6Address]:
        return [ip_interface(n.ip_address).ip for n in self.networks if n.ip_address]
