"""vSwitch port features of a Hyper-V host: the ``HyperVPorts`` capability and its records.

A second, small capability beside ``HyperVHost`` (which creates NICs and connects them): what the
Neutron L2 agent sets on a connected port. Each method is one PowerShell script (psrp) naming the
cmdlets below; ``FakeHost`` and ``PsrpHost`` implement both Protocols and pass the same contract
suite (tests/unit/hyperv/contract/test_ports.py).

- VLAN: ``Set-VMNetworkAdapterVlan -Access -VlanId`` | ``-Trunk -NativeVlanId -AllowedVlanIdList``
  | ``-Untagged``.
- Port security: ``Set-VMNetworkAdapter -MacAddressSpoofing On|Off``.
- QoS: ``Set-VMNetworkAdapter -MaximumBandwidth -MinimumBandwidthAbsolute`` (bits per second;
  0 = no limit). Absolute minimum bandwidth needs a switch created in that mode; we only set it.
- Extended port ACLs: ``Add-/Remove-/Get-VMNetworkAdapterExtendedAcl``. A rule is identified by
  (direction, weight); higher weights are evaluated first.
- ``Get-VMSwitchExtension``: the agent refuses a vSwitch with an Open vSwitch extension enabled.

Conventions are those of ``host.py``: VM and NIC by name, absent raises ``HostObjectNotFound``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "AclAction",
    "AclDirection",
    "AclRule",
    "HyperVPorts",
    "PortSettings",
    "PortVlan",
    "SwitchExtension",
    "VlanMode",
    "is_ovs_extension",
]

VlanMode = Literal["untagged", "access", "trunk"]
AclDirection = Literal["inbound", "outbound"]
AclAction = Literal["allow", "deny"]

# Open vSwitch for Windows registers under changing names ("Open vSwitch Extension",
# "Cloudbase Open vSwitch Extension", vendor builds with "OVS" in the name).
_OVS_NAME = re.compile(r"open.?v.?switch|\bovs\b", re.IGNORECASE)


def is_ovs_extension(name: str) -> bool:
    return bool(_OVS_NAME.search(name))


@dataclass(frozen=True)
class PortVlan:
    mode: VlanMode = "untagged"
    vlan_id: int | None = None  # access mode
    native_vlan_id: int | None = None  # trunk mode (untagged frames go here); None = 0
    allowed_vlan_ids: tuple[int, ...] = ()  # trunk mode, sorted

    @classmethod
    def access(cls, vlan_id: int) -> PortVlan:
        return cls("access", vlan_id=vlan_id)

    @classmethod
    def trunk(cls, allowed: tuple[int, ...] | list[int], native: int | None = None) -> PortVlan:
        return cls("trunk", native_vlan_id=native, allowed_vlan_ids=tuple(sorted(set(allowed))))


@dataclass(frozen=True)
class PortSettings:
    vm_name: str
    nic_name: str
    switch: str | None
    vlan: PortVlan = field(default_factory=PortVlan)
    mac_spoofing: bool = False
    max_bandwidth_bps: int = 0  # 0: no limit
    min_bandwidth_bps: int = 0


@dataclass(frozen=True, order=True)
class AclRule:
    """One extended port ACL entry (Msvm_EthernetSwitchPortExtendedAclSettingData). Addresses and
    ports are strings as Hyper-V takes them: ``ANY``, ``10.0.0.0/24``, ``80``, ``1000-2000``;
    protocol ``ANY``, ``TCP``, ``UDP``, ``ICMPv4``, ``ICMPv6`` or an IP protocol number."""

    direction: AclDirection
    weight: int
    action: AclAction
    protocol: str = "ANY"
    remote_ip: str = "ANY"
    local_port: str = "ANY"
    remote_port: str = "ANY"
    stateful: bool = False
    idle_session_timeout_s: int = 0  # 0: the host's default


@dataclass(frozen=True)
class SwitchExtension:
    switch: str
    name: str
    extension_type: str  # Capture | Filter | Forwarding
    enabled: bool
    vendor: str = ""

    @property
    def is_ovs(self) -> bool:
        return is_ovs_extension(self.name)


@runtime_checkable
class HyperVPorts(Protocol):
    name: str

    def get_port(self, vm: str, nic_name: str) -> PortSettings:
        """Get-VMNetworkAdapter (SwitchName, MacAddressSpoofing, BandwidthSetting) +
        Get-VMNetworkAdapterVlan (OperationMode, AccessVlanId, NativeVlanId, AllowedVlanIdList)."""
        ...

    def set_port_vlan_mode(self, vm: str, nic_name: str, vlan: PortVlan) -> None:
        """Set-VMNetworkAdapterVlan -Access -VlanId | -Trunk -NativeVlanId -AllowedVlanIdList |
        -Untagged. VLAN ids 1..4094; a trunk allows at least one VLAN."""
        ...

    def set_port_security(self, vm: str, nic_name: str, *, mac_spoofing: bool) -> None:
        """Set-VMNetworkAdapter -MacAddressSpoofing On|Off."""
        ...

    def set_port_bandwidth(
        self, vm: str, nic_name: str, *, max_bps: int = 0, min_bps: int = 0
    ) -> None:
        """Set-VMNetworkAdapter -MaximumBandwidth -MinimumBandwidthAbsolute (0 = none)."""
        ...

    def list_port_acls(self, vm: str, nic_name: str) -> list[AclRule]:
        """Get-VMNetworkAdapterExtendedAcl; sorted by direction, then weight."""
        ...

    def add_port_acl(self, vm: str, nic_name: str, rule: AclRule) -> None:
        """Add-VMNetworkAdapterExtendedAcl. HostObjectExists when (direction, weight) is taken."""
        ...

    def remove_port_acl(self, vm: str, nic_name: str, direction: AclDirection, weight: int) -> None:
        """Remove-VMNetworkAdapterExtendedAcl -Direction -Weight; HostObjectNotFound if absent."""
        ...

    def list_switch_extensions(self, switch: str) -> list[SwitchExtension]:
        """Get-VMSwitchExtension -VMSwitchName | Select-Object Name, ExtensionType, Enabled,
        Vendor. HostObjectNotFound for an unknown switch."""
        ...
