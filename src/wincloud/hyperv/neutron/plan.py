"""What one Neutron port should look like on its Hyper-V vSwitch port (pure decisions).

Input: one entry of ``get_devices_details_list`` (the ML2 plugin's RPC answer: ``port_id``,
``network_type``, ``physical_network``, ``segmentation_id``, ``admin_state_up``,
``port_security_enabled``, ``qos_policy_id``...), plus what the agent fetched beside it (the
trunk's sub-ports, the QoS policy's rules). Output: a ``PortPlan`` the agent applies in a fixed
order (connect, VLAN, MAC spoofing, bandwidth, ACLs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wincloud.errors import ConfigError
from wincloud.hyperv.neutron import NETWORK_TYPES
from wincloud.hyperv.neutron.mappings import VswitchMappings
from wincloud.hyperv.ports import PortVlan


@dataclass(frozen=True)
class Bandwidth:
    max_bps: int = 0
    min_bps: int = 0


@dataclass(frozen=True)
class PortPlan:
    port_id: str
    network_id: str
    vswitch: str | None  # None: admin down -> disconnect
    vlan: PortVlan
    mac_spoofing: bool
    port_security: bool
    bandwidth: Bandwidth
    qos_policy_id: str | None = None


def is_bindable(details: Mapping[str, Any]) -> bool:
    """An entry with the port's segment (the plugin answers ``{'device': id}`` for ports that are
    unknown, unbound or bound elsewhere)."""
    return bool(details.get("port_id")) and "network_type" in details


def bandwidth_from_rules(rules: Iterable[Mapping[str, Any]]) -> Bandwidth:
    """A QoS policy's rules -> limits. Hyper-V's port limits apply to what the VM sends (egress
    from Neutron's view): ``bandwidth_limit`` egress ``max_kbps`` and ``minimum_bandwidth`` egress
    ``min_kbps`` (kilobits, 1000 bits). Ingress rules and DSCP marking are not applied."""
    max_bps = min_bps = 0
    for rule in rules:
        kind = rule.get("type") or rule.get("rule_type")
        if rule.get("direction", "egress") != "egress":
            continue
        if kind == "bandwidth_limit" and rule.get("max_kbps"):
            max_bps = int(rule["max_kbps"]) * 1000
        elif kind == "minimum_bandwidth" and rule.get("min_kbps"):
            min_bps = int(rule["min_kbps"]) * 1000
    if max_bps and min_bps > max_bps:
        min_bps = max_bps
    return Bandwidth(max_bps, min_bps)


def plan_port(
    details: Mapping[str, Any],
    mappings: VswitchMappings,
    *,
    trunk_vlans: Iterable[int] = (),
    qos_rules: Iterable[Mapping[str, Any]] = (),
) -> PortPlan:
    """ConfigError when the segment cannot be served here (unknown type, unmapped physnet)."""
    port_id = str(details["port_id"])
    network_type = str(details.get("network_type") or "")
    physnet = details.get("physical_network")
    if network_type not in NETWORK_TYPES:
        raise ConfigError(
            f"network type {network_type!r} is not served by the Hyper-V agent",
            subject=f"port {port_id}",
            hint="networks of type " + ", ".join(NETWORK_TYPES),
        )
    vswitch = mappings.find(network_type, physnet)
    if vswitch is None:
        raise ConfigError(
            f"no vSwitch is mapped for physical network {physnet!r} ({network_type})",
            subject=f"port {port_id}",
            hint="add it to physical_network_vswitch_mappings (local: local_network_vswitch)",
        )
    seg = details.get("segmentation_id")
    access = int(seg) if network_type == "vlan" and seg else None
    subports = sorted({int(v) for v in trunk_vlans if v})
    if subports:
        vlan = PortVlan.trunk(subports + ([access] if access else []), native=access)
    elif access:
        vlan = PortVlan.access(access)
    else:
        vlan = PortVlan()
    port_security = bool(details.get("port_security_enabled", True))
    return PortPlan(
        port_id=port_id,
        network_id=str(details.get("network_id") or ""),
        vswitch=vswitch if details.get("admin_state_up", True) else None,
        vlan=vlan,
        mac_spoofing=not port_security,
        port_security=port_security,
        bandwidth=bandwidth_from_rules(qos_rules),
        qos_policy_id=details.get("qos_policy_id") or details.get("network_qos_policy_id"),
    )
