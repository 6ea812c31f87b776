"""The ``HyperVPorts`` half of PsrpHost: one script per concern (``ports_get``, ``ports_set``,
``ports_acl``, ``switch_extensions``), arguments as parameters, projections read back here.

The argument checks that need no host run before the call (the same functions the fake uses), so
a bad rule fails the same way on both and never reaches Windows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wincloud.errors import HostOperationFailed
from wincloud.hyperv.fake._ports import check_acl, check_bandwidth, check_vlan
from wincloud.hyperv.ports import (
    AclAction,
    AclDirection,
    AclRule,
    PortSettings,
    PortVlan,
    SwitchExtension,
)
from wincloud.hyperv.psrp.decode import Record


def _i64(value: int) -> Any:
    from pypsrp.serializer import TaggedValue

    return TaggedValue("I64", int(value))


def _direction(r: Record) -> AclDirection:
    text = r.text("Direction").lower()
    if text == "inbound":
        return "inbound"
    if text == "outbound":
        return "outbound"
    raise HostOperationFailed(
        f"{r.cmdlet} on {r.host}: unknown ACL direction {text!r}", host=r.host, cmdlet=r.cmdlet
    )


def _action(r: Record) -> AclAction:
    text = r.text("Action").lower()
    if text == "allow":
        return "allow"
    if text == "deny":
        return "deny"
    raise HostOperationFailed(
        f"{r.cmdlet} on {r.host}: unknown ACL action {text!r}", host=r.host, cmdlet=r.cmdlet
    )


def acl_rule(r: Record) -> AclRule:
    return AclRule(
        direction=_direction(r),
        weight=r.integer("Weight"),
        action=_action(r),
        protocol=r.text("Protocol", "ANY") or "ANY",
        remote_ip=r.text("RemoteIPAddress", "ANY") or "ANY",
        local_port=r.text("LocalPort", "ANY") or "ANY",
        remote_port=r.text("RemotePort", "ANY") or "ANY",
        stateful=bool(r.opt_flag("Stateful")),
        idle_session_timeout_s=r.integer("IdleSessionTimeout", 0),
    )


def port_settings(r: Record) -> PortSettings:
    mode = r.text("VlanMode", "untagged").lower()
    if mode == "access":
        vlan = PortVlan.access(r.integer("AccessVlanId"))
    elif mode == "trunk":
        native = r.opt_integer("NativeVlanId")
        vlan = PortVlan.trunk([int(x) for x in r.str_list("AllowedVlanIds")], native or None)
    else:
        vlan = PortVlan()
    return PortSettings(
        vm_name=r.text("VMName"),
        nic_name=r.text("NicName"),
        switch=r.opt_text("SwitchName"),
        vlan=vlan,
        mac_spoofing=bool(r.opt_flag("MacAddressSpoofing")),
        max_bandwidth_bps=r.integer("MaximumBandwidth", 0),
        min_bandwidth_bps=r.integer("MinimumBandwidthAbsolute", 0),
    )


def vlan_list(ids: tuple[int, ...]) -> str:
    """``(1, 2, 3, 7)`` -> ``"1-3,7"`` (Set-VMNetworkAdapterVlan -AllowedVlanIdList)."""
    out: list[str] = []
    start = prev = None
    for v in sorted(set(ids)):
        if prev is not None and v == prev + 1:
            prev = v
            continue
        if start is not None:
            out.append(f"{start}-{prev}" if start != prev else str(start))
        start = prev = v
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)


class PsrpPorts:
    name: str

    if TYPE_CHECKING:

        def _run(
            self,
            script: str,
            cmdlet: str,
            params: Mapping[str, Any] | None = None,
            *,
            timeout_s: float | None = None,
        ) -> list[Record]: ...

        def _one(
            self,
            script: str,
            cmdlet: str,
            params: Mapping[str, Any] | None = None,
            *,
            timeout_s: float | None = None,
        ) -> Record: ...

    def get_port(self, vm: str, nic_name: str) -> PortSettings:
        params = {"VMName": vm, "NicName": nic_name}
        return port_settings(self._one("ports_get", "Get-VMNetworkAdapter", params))

    def set_port_vlan_mode(self, vm: str, nic_name: str, vlan: PortVlan) -> None:
        check_vlan(vlan, f"{vm}/{nic_name}")
        params: dict[str, Any] = {
            "VMName": vm,
            "NicName": nic_name,
            "Action": "vlan",
            "VlanMode": vlan.mode,
        }
        if vlan.mode == "access":
            params["VlanId"] = vlan.vlan_id
        elif vlan.mode == "trunk":
            params["NativeVlanId"] = vlan.native_vlan_id or 0
            params["AllowedVlanIdList"] = vlan_list(vlan.allowed_vlan_ids)
        self._run("ports_set", "Set-VMNetworkAdapterVlan", params)

    def set_port_security(self, vm: str, nic_name: str, *, mac_spoofing: bool) -> None:
        params = {
            "VMName": vm,
            "NicName": nic_name,
            "Action": "security",
            "MacAddressSpoofing": bool(mac_spoofing),
        }
        self._run("ports_set", "Set-VMNetworkAdapter", params)

    def set_port_bandwidth(
        self, vm: str, nic_name: str, *, max_bps: int = 0, min_bps: int = 0
    ) -> None:
        check_bandwidth(max_bps, min_bps, f"{vm}/{nic_name}")
        params = {
            "VMName": vm,
            "NicName": nic_name,
            "Action": "bandwidth",
            "MaximumBandwidth": _i64(max_bps),
            "MinimumBandwidthAbsolute": _i64(min_bps),
        }
        self._run("ports_set", "Set-VMNetworkAdapter", params)

    def list_port_acls(self, vm: str, nic_name: str) -> list[AclRule]:
        params = {"VMName": vm, "NicName": nic_name, "Action": "list"}
        recs = self._run("ports_acl", "Get-VMNetworkAdapterExtendedAcl", params)
        return sorted(acl_rule(r) for r in recs)

    def add_port_acl(self, vm: str, nic_name: str, rule: AclRule) -> None:
        check_acl(rule, f"{vm}/{nic_name}")
        params = {
            "VMName": vm,
            "NicName": nic_name,
            "Action": "add",
            "Direction": rule.direction.capitalize(),
            "Weight": rule.weight,
            "AclAction": rule.action.capitalize(),
            "Protocol": rule.protocol,
            "RemoteIPAddress": rule.remote_ip,
            "LocalPort": rule.local_port,
            "RemotePort": rule.remote_port,
            "Stateful": rule.stateful,
            "IdleSessionTimeout": rule.idle_session_timeout_s,
        }
        self._run("ports_acl", "Add-VMNetworkAdapterExtendedAcl", params)

    def remove_port_acl(self, vm: str, nic_name: str, direction: AclDirection, weight: int) -> None:
        params = {
            "VMName": vm,
            "NicName": nic_name,
            "Action": "remove",
            "Direction": direction.capitalize(),
            "Weight": weight,
        }
        self._run("ports_acl", "Remove-VMNetworkAdapterExtendedAcl", params)

    def list_switch_extensions(self, switch: str) -> list[SwitchExtension]:
        return [
            SwitchExtension(
                r.text("SwitchName"),
                r.text("Name"),
                r.text("ExtensionType", ""),
                r.flag("Enabled"),
                r.text("Vendor", ""),
            )
            for r in self._run("switch_extensions", "Get-VMSwitchExtension", {"Switch": switch})
        ]
