"""Neutron security groups -> Hyper-V extended port ACLs, and the diff against what a port has.

Input is what Neutron's ``security_group_info_for_devices`` RPC returns: per security group a
list of rule dicts (``direction`` ingress|egress, ``ethertype`` IPv4|IPv6, optional ``protocol``,
``port_range_min``/``port_range_max``, ``source_ip_prefix`` (ingress) or ``dest_ip_prefix``
(egress), ``remote_group_id`` or ``remote_address_group_id``, ``stateful``), and
``sg_member_ips``: group id -> ethertype -> ``[ip, mac]`` pairs (or bare addresses).

The port's ACL is the default-deny set (deny everything in both directions at the lowest weight,
allow DHCP and ICMPv6 so addressing and neighbour discovery work, as Neutron's own firewalls do)
plus one stateful allow per security-group rule and remote address. With port security off the
port gets no ACLs at all. Weights: defaults 1..9, security-group allows from 100 up. A rule that is
already on the port keeps its weight, so a rule change adds and removes only what changed.

Not expressible in Hyper-V extended ACLs (documented in docs/hyperv-network.md): ICMP type/code
(an ICMP rule allows all of ICMP), allowed address pairs as source filters, and anti-spoofing of
the port's IPs (MAC spoofing off is the only source check).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from wincloud.hyperv.ports import AclDirection, AclRule

FIRST_SG_WEIGHT = 100
MAX_WEIGHT = 65535

_PROTOCOLS = {
    "tcp": "TCP",
    "6": "TCP",
    "udp": "UDP",
    "17": "UDP",
    "icmp": "ICMPv4",
    "1": "ICMPv4",
    "ipv6-icmp": "ICMPv6",
    "icmpv6": "ICMPv6",
    "58": "ICMPv6",
    "any": "ANY",
}
_ANY_OF = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}

# weight, rule (without weight semantics) of the default set
DEFAULT_RULES: tuple[AclRule, ...] = (
    AclRule("inbound", 1, "deny"),
    AclRule("outbound", 1, "deny"),
    AclRule("outbound", 2, "allow", "UDP", "ANY", "68", "67"),  # DHCPv4 requests
    AclRule("inbound", 2, "allow", "UDP", "ANY", "68", "67"),  # DHCPv4 replies
    AclRule("outbound", 3, "allow", "UDP", "ANY", "546", "547"),  # DHCPv6
    AclRule("inbound", 3, "allow", "UDP", "ANY", "546", "547"),
    AclRule("outbound", 4, "allow", "ICMPv6"),  # neighbour discovery
    AclRule("inbound", 4, "allow", "ICMPv6"),
)


def _key(rule: AclRule) -> AclRule:
    """The rule without its weight: what makes two rules the same."""
    return replace(rule, weight=0)


def _port_range(rule: Mapping[str, Any], protocol: str) -> str:
    if protocol not in ("TCP", "UDP"):
        return "ANY"
    lo, hi = rule.get("port_range_min"), rule.get("port_range_max")
    if lo is None:
        return "ANY"
    hi = lo if hi is None else hi
    if int(lo) <= 1 and int(hi) >= 65535:
        return "ANY"
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _protocol(value: Any) -> str | None:
    if value is None:
        return "ANY"
    return _PROTOCOLS.get(str(value).lower(), str(value) if str(value).isdigit() else None)


def _member_addresses(members: Mapping[str, Any] | None, ethertype: str) -> list[str]:
    out: list[str] = []
    for item in (members or {}).get(ethertype, ()) or ():
        ip = item[0] if isinstance(item, list | tuple) else item
        try:
            net = ipaddress.ip_network(str(ip), strict=False)
        except ValueError:
            continue
        out.append(str(net))
    return sorted(set(out))


def rules_for_port(
    security_group_ids: Iterable[str],
    security_groups: Mapping[str, Sequence[Mapping[str, Any]]],
    member_ips: Mapping[str, Mapping[str, Any]],
) -> list[AclRule]:
    """The allow rules (weight 0, not yet placed) for a port in these security groups."""
    out: dict[AclRule, None] = {}
    for sg_id in security_group_ids:
        for rule in security_groups.get(sg_id, ()):
            direction: AclDirection = (
                "inbound" if rule.get("direction") == "ingress" else "outbound"
            )
            ethertype = str(rule.get("ethertype") or "IPv4")
            protocol = _protocol(rule.get("protocol"))
            if protocol is None:
                continue  # a protocol Hyper-V ACLs cannot name: nothing is allowed by it
            ports = _port_range(rule, protocol)
            stateful = bool(rule.get("stateful", True)) and protocol in ("TCP", "UDP", "ANY")
            remote_group = rule.get("remote_group_id") or rule.get("remote_address_group_id")
            if remote_group:
                remotes = _member_addresses(member_ips.get(str(remote_group)), ethertype)
            else:
                prefix = rule.get("source_ip_prefix") or rule.get("dest_ip_prefix")
                remotes = [str(prefix) if prefix else _ANY_OF.get(ethertype, "ANY")]
            for address in remotes:
                # an ICMP protocol already says which family
                icmp_any = address in ("0.0.0.0/0", "::/0") and protocol.startswith("ICMPv")
                remote = "ANY" if icmp_any else address
                local_port, remote_port = (
                    (ports, "ANY") if direction == "inbound" else ("ANY", ports)
                )
                acl = AclRule(
                    direction, 0, "allow", protocol, remote, local_port, remote_port, stateful
                )
                out[acl] = None
    return list(out)


@dataclass(frozen=True)
class AclDiff:
    add: tuple[AclRule, ...] = ()
    remove: tuple[AclRule, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove


def diff(
    current: Iterable[AclRule], wanted_allows: Iterable[AclRule], *, port_security: bool = True
) -> AclDiff:
    """What to add and remove so the port holds the default set plus ``wanted_allows``.

    Rules already present (same content) keep their weight; new ones take the lowest free weights
    from ``FIRST_SG_WEIGHT`` in each direction. With port security off, everything goes."""
    current = list(current)
    if not port_security:
        return AclDiff(remove=tuple(current))
    desired_defaults = {(r.direction, r.weight): r for r in DEFAULT_RULES}
    keep: set[tuple[str, int]] = set()
    remove: list[AclRule] = []
    add: list[AclRule] = []
    wanted = {_key(r): None for r in wanted_allows}
    for rule in current:
        ident = (rule.direction, rule.weight)
        if rule.weight < FIRST_SG_WEIGHT:
            if desired_defaults.get(ident) == rule:
                keep.add(ident)
            else:
                remove.append(rule)
        elif _key(rule) in wanted and ident not in keep:
            keep.add(ident)
            wanted.pop(_key(rule))
        else:
            remove.append(rule)
    for ident, rule in desired_defaults.items():
        if ident not in keep:
            add.append(rule)
    taken = {(r.direction, r.weight) for r in current if (r.direction, r.weight) in keep}
    next_free = {"inbound": FIRST_SG_WEIGHT, "outbound": FIRST_SG_WEIGHT}
    for rule in wanted:
        w = next_free[rule.direction]
        while (rule.direction, w) in taken:
            w += 1
        if w > MAX_WEIGHT:
            raise ValueError("more security-group rules than Hyper-V ACL weights")
        taken.add((rule.direction, w))
        next_free[rule.direction] = w + 1
        add.append(replace(rule, weight=w))
    return AclDiff(tuple(sorted(add)), tuple(sorted(remove)))
