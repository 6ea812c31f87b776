"""The vSwitch-port half of FakeHost (``HyperVPorts``): VLAN modes, MAC spoofing, bandwidth,
extended port ACLs, switch extensions.

Port state lives beside the NIC (keyed by VM and NIC name) and goes away with the NIC. The rules
this module enforces are in ``PORT_RULES`` (same shape as ``rules.RULES``); their ids appear in
the errors' ``detail``.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Final

from wincloud.errors import ConfigError, HostObjectExists, HostObjectNotFound
from wincloud.hyperv.fake._devices import FakeDevices
from wincloud.hyperv.fake.rules import UNVERIFIED, Rule
from wincloud.hyperv.ports import AclDirection, AclRule, PortSettings, PortVlan, SwitchExtension

_PS = "https://learn.microsoft.com/en-us/powershell/module/hyper-v/"
_WMI = "https://learn.microsoft.com/en-us/windows/win32/hyperv_v2/"

PORT_RULES: Final[dict[str, Rule]] = {
    r.id: r
    for r in (
        Rule("port.vlan-range", "a VLAN id is 1..4094", _PS + "set-vmnetworkadaptervlan"),
        Rule(
            "port.trunk",
            "trunk mode takes a native VLAN and a list of allowed VLANs",
            _PS + "set-vmnetworkadaptervlan",
        ),
        Rule(
            "port.spoofing",
            "MAC address spoofing is On or Off per network adapter",
            _PS + "set-vmnetworkadapter",
        ),
        Rule(
            "port.bandwidth",
            "MaximumBandwidth and MinimumBandwidthAbsolute are bits per second (Int64)",
            _PS + "set-vmnetworkadapter",
        ),
        Rule(
            "acl.weight",
            "an extended ACL's weight is a UInt16 (the cmdlet takes Int32; wincloud: 1..65535)",
            _WMI + "msvm-ethernetswitchportextendedaclsettingdata",
        ),
        Rule(
            "acl.identity",
            "Remove-VMNetworkAdapterExtendedAcl selects a rule by direction and weight: "
            "wincloud refuses a second rule with the same pair",
            _PS + "remove-vmnetworkadapterextendedacl",
        ),
        Rule(
            "acl.protocol",
            "protocol is ANY, TCP, UDP, ICMPv4, ICMPv6 or a protocol number",
            _PS + "add-vmnetworkadapterextendedacl",
        ),
        Rule(
            "acl.address",
            "RemoteIPAddress is ANY or an address or prefix (IPv4 or IPv6)",
            _PS + "add-vmnetworkadapterextendedacl",
        ),
        Rule(
            "acl.stateful-allow",
            "a stateful rule is an allow rule on TCP, UDP or ANY (wincloud's reading)",
            UNVERIFIED,
            _PS + "add-vmnetworkadapterextendedacl",
        ),
        Rule(
            "acl.ports-need-l4",
            "ports only with TCP or UDP (wincloud's reading)",
            UNVERIFIED,
            _PS + "add-vmnetworkadapterextendedacl",
        ),
        Rule(
            "ext.list",
            "Get-VMSwitchExtension lists the extensions bound to a switch with Enabled",
            _PS + "get-vmswitchextension",
        ),
    )
}
_PROTOCOLS = {"ANY", "TCP", "UDP", "ICMPV4", "ICMPV6"}
_PORT = re.compile(r"^(ANY|\d{1,5}(-\d{1,5})?)$", re.IGNORECASE)
# installed on every switch, disabled unless the switch was built with it (test data)
_DEFAULT_EXTENSIONS = (
    ("Microsoft NDIS Capture", "Capture"),
    ("Microsoft Windows Filtering Platform", "Filter"),
)


def port_cite(rule_id: str) -> str:
    rule = PORT_RULES[rule_id]
    return f"rule {rule.id} ({rule.source if rule.verified else 'unverified; see ' + rule.see})"


@dataclass
class FakePort:
    trunk: PortVlan | None = None  # set while the port is in trunk mode
    mac_spoofing: bool = False
    max_bps: int = 0
    min_bps: int = 0
    acls: dict[tuple[str, int], AclRule] = field(default_factory=dict)


def _bad(message: str, subject: str, rule: str) -> ConfigError:
    return ConfigError(message, subject=subject, hint=port_cite(rule))


def _check_vlan_id(value: int | None, subject: str) -> None:
    if value is not None and not 1 <= value <= 4094:
        raise _bad("a VLAN id is 1..4094", subject, "port.vlan-range")


def check_acl(rule: AclRule, subject: str) -> None:
    """The rule checks that need no host (PsrpHost runs them too, before the call)."""
    if rule.direction not in ("inbound", "outbound") or rule.action not in ("allow", "deny"):
        raise _bad("direction is inbound|outbound and action allow|deny", subject, "acl.protocol")
    if not 1 <= rule.weight <= 65535:
        raise _bad("an ACL weight is 1..65535", subject, "acl.weight")
    proto = rule.protocol.upper()
    if proto not in _PROTOCOLS and not (proto.isdigit() and 0 <= int(proto) <= 255):
        raise _bad(f"unknown protocol {rule.protocol!r}", subject, "acl.protocol")
    if rule.remote_ip.upper() != "ANY":
        try:
            ipaddress.ip_network(rule.remote_ip, strict=False)
        except ValueError as exc:
            msg = f"not an address or prefix: {rule.remote_ip!r}"
            raise _bad(msg, subject, "acl.address") from exc
    for port in (rule.local_port, rule.remote_port):
        if not _PORT.match(port):
            raise _bad(f"not a port or port range: {port!r}", subject, "acl.ports-need-l4")
        if port.upper() != "ANY" and proto not in ("TCP", "UDP", "6", "17"):
            raise _bad("ports need TCP or UDP", subject, "acl.ports-need-l4")
    if rule.stateful and (rule.action != "allow" or proto not in ("ANY", "TCP", "UDP", "6", "17")):
        raise _bad("a stateful rule allows TCP, UDP or ANY", subject, "acl.stateful-allow")


def check_vlan(vlan: PortVlan, subject: str) -> None:
    if vlan.mode == "access":
        if vlan.vlan_id is None:
            raise _bad("access mode needs a VLAN id", subject, "port.vlan-range")
        _check_vlan_id(vlan.vlan_id, subject)
    elif vlan.mode == "trunk":
        if not vlan.allowed_vlan_ids:
            raise _bad("a trunk allows at least one VLAN", subject, "port.trunk")
        for v in (*vlan.allowed_vlan_ids, vlan.native_vlan_id):
            _check_vlan_id(v, subject)
    elif vlan.mode != "untagged":
        raise _bad("a VLAN mode is untagged|access|trunk", subject, "port.trunk")


def check_bandwidth(max_bps: int, min_bps: int, subject: str) -> None:
    if max_bps < 0 or min_bps < 0:
        msg = "bandwidth is 0 (none) or a positive number of bits/s"
        raise _bad(msg, subject, "port.bandwidth")
    if max_bps and min_bps > max_bps:
        raise _bad("the minimum bandwidth exceeds the maximum", subject, "port.bandwidth")


class FakePorts(FakeDevices):
    """Mixed into FakeHost before FakeDevices: ``set_port_vlan`` and ``remove_nic`` keep the port
    state in step with the NIC."""

    @functools.cached_property
    def _ports(self) -> dict[tuple[str, str], FakePort]:
        return {}

    def _port_state(self, vm: str, nic_name: str, cmdlet: str) -> tuple[str, FakePort]:
        v = self._vm(vm, cmdlet)
        n = self._nic(v, nic_name, cmdlet)
        port = self._ports.setdefault((v.name.casefold(), n.name.casefold()), FakePort())
        return f"{v.name}/{n.name}", port

    # ---- the NIC methods that touch port state ----------------------------------------------
    def set_port_vlan(self, vm: str, nic_name: str, vlan_id: int | None) -> None:
        super().set_port_vlan(vm, nic_name, vlan_id)
        self._port_state(vm, nic_name, "Set-VMNetworkAdapterVlan")[1].trunk = None

    def remove_nic(self, vm: str, nic_name: str) -> None:
        super().remove_nic(vm, nic_name)
        self._ports.pop((vm.casefold(), nic_name.casefold()), None)

    # ---- HyperVPorts ------------------------------------------------------------------------
    def get_port(self, vm: str, nic_name: str) -> PortSettings:
        cmdlet = "Get-VMNetworkAdapter"
        _, port = self._port_state(vm, nic_name, cmdlet)
        v = self._vm(vm, cmdlet)
        n = self._nic(v, nic_name, cmdlet)
        if n.vlan_id is not None:
            vlan = PortVlan.access(n.vlan_id)
        elif port.trunk is not None:
            vlan = port.trunk
        else:
            vlan = PortVlan()
        return PortSettings(
            v.name, n.name, n.switch, vlan, port.mac_spoofing, port.max_bps, port.min_bps
        )

    def set_port_vlan_mode(self, vm: str, nic_name: str, vlan: PortVlan) -> None:
        cmdlet = "Set-VMNetworkAdapterVlan"
        subject, port = self._port_state(vm, nic_name, cmdlet)
        check_vlan(vlan, subject)
        n = self._nic(self._vm(vm, cmdlet), nic_name, cmdlet)
        n.vlan_id = vlan.vlan_id if vlan.mode == "access" else None
        port.trunk = (
            PortVlan.trunk(vlan.allowed_vlan_ids, vlan.native_vlan_id or None)
            if vlan.mode == "trunk"
            else None
        )

    def set_port_security(self, vm: str, nic_name: str, *, mac_spoofing: bool) -> None:
        self._port_state(vm, nic_name, "Set-VMNetworkAdapter")[1].mac_spoofing = mac_spoofing

    def set_port_bandwidth(
        self, vm: str, nic_name: str, *, max_bps: int = 0, min_bps: int = 0
    ) -> None:
        subject, port = self._port_state(vm, nic_name, "Set-VMNetworkAdapter")
        check_bandwidth(max_bps, min_bps, subject)
        port.max_bps, port.min_bps = max_bps, min_bps

    def list_port_acls(self, vm: str, nic_name: str) -> list[AclRule]:
        _, port = self._port_state(vm, nic_name, "Get-VMNetworkAdapterExtendedAcl")
        return sorted(port.acls.values())

    def add_port_acl(self, vm: str, nic_name: str, rule: AclRule) -> None:
        cmdlet = "Add-VMNetworkAdapterExtendedAcl"
        subject, port = self._port_state(vm, nic_name, cmdlet)
        check_acl(rule, subject)
        if (rule.direction, rule.weight) in port.acls:
            raise HostObjectExists(
                f"{cmdlet} failed on {self.name}: a {rule.direction} rule has weight {rule.weight}",
                host=self.name,
                cmdlet=cmdlet,
                subject=f"{subject} {rule.direction}/{rule.weight}",
                detail=port_cite("acl.identity"),
            )
        port.acls[(rule.direction, rule.weight)] = rule

    def remove_port_acl(self, vm: str, nic_name: str, direction: AclDirection, weight: int) -> None:
        cmdlet = "Remove-VMNetworkAdapterExtendedAcl"
        subject, port = self._port_state(vm, nic_name, cmdlet)
        if port.acls.pop((direction, weight), None) is None:
            raise HostObjectNotFound(
                f"{cmdlet} failed on {self.name}: no {direction} rule has weight {weight}",
                host=self.name,
                cmdlet=cmdlet,
                subject=f"{subject} {direction}/{weight}",
                detail=port_cite("acl.identity"),
            )

    def list_switch_extensions(self, switch: str) -> list[SwitchExtension]:
        name = self._switch(switch, "Get-VMSwitchExtension")
        enabled = list(self._switches[name.casefold()].extensions_enabled)
        out = [
            SwitchExtension(name, ext, kind, ext in enabled, "Microsoft")
            for ext, kind in _DEFAULT_EXTENSIONS
        ]
        known = {ext for ext, _ in _DEFAULT_EXTENSIONS}
        out += [
            SwitchExtension(name, ext, "Forwarding", True, "")
            for ext in enabled
            if ext not in known
        ]
        return out
