"""The iSCSI Target Server capability of a Windows host: the ``IscsiTarget`` Protocol, records.

A second capability beside ``HyperVHost`` (same host, same transport, same error tree): the
Microsoft iSCSI Target Server role's cmdlets (module ``IscsiTarget``). Cinder's Windows driver
(``wincloud.hyperv.cinder``) is its user. Implementations: ``FakeHost`` (``fake/_iscsi.py``) and
``PsrpHost`` (``psrp/_iscsi.py``, one script per method in ``psrp/scripts/iscsi_*.ps1``); both
pass ``tests/unit/hyperv/contract/test_iscsi.py``.

Conventions (besides those of ``host.py``)
- A virtual disk is addressed by its VHDX path, a target by its name (TargetName), a snapshot by
  its SnapshotId (a GUID in braces, as the cmdlets print it).
- Initiator ids are ``IQN:<iqn>`` strings (the cmdlets' ``InitiatorId`` text form); ``IQN:`` is
  added when missing and compared case-insensitively (IQNs are case-insensitive, RFC 3720 3.2.6.1).
- ``remove_*`` of something absent is fine (Cinder deletes idempotently).
- A CHAP secret never leaves the host again: ``IscsiTargetInfo`` carries the user name only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from wincloud.secret import Secret

__all__ = [
    "CHAP_SECRET_LENGTH",
    "IscsiDisk",
    "IscsiDiskType",
    "IscsiInitiator",
    "IscsiPortal",
    "IscsiSession",
    "IscsiSnapshot",
    "IscsiTarget",
    "IscsiTargetInfo",
    "LunMapping",
    "initiator_id",
]

IscsiDiskType = Literal["fixed", "dynamic", "differencing"]
# Microsoft's initiator and target accept CHAP secrets of 12 to 16 characters.
CHAP_SECRET_LENGTH = (12, 16)


def initiator_id(value: str) -> str:
    """``iqn.1991-05.com.microsoft:hv01`` -> ``IQN:iqn.1991-05.com.microsoft:hv01``; an id that
    already has a method prefix (``IQN:``, ``IPAddress:``, ``DNSName:``, ``MACAddress:``) stays."""
    head, sep, tail = value.partition(":")
    if sep and head.casefold() in ("iqn", "ipaddress", "ipv6address", "dnsname", "macaddress"):
        method = {"iqn": "IQN", "ipaddress": "IPAddress", "ipv6address": "IPv6Address"}.get(
            head.casefold(), head
        )
        return f"{method}:{tail}"
    return f"IQN:{value}"


@dataclass(frozen=True)
class IscsiPortal:
    """One listening address of the target server (Get-IscsiTargetServerSetting Portals)."""

    address: str
    port: int
    enabled: bool = True

    @property
    def location(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class IscsiDisk:
    """Get-IscsiVirtualDisk | Select-Object Path, Size, DiskType, Description, Enabled,
    ParentPath, Status."""

    path: str
    size_bytes: int
    disk_type: IscsiDiskType
    description: str = ""
    enabled: bool = True
    parent_path: str | None = None
    status: str = "NotConnected"  # NotConnected | Connected (an initiator has it open)


@dataclass(frozen=True)
class LunMapping:
    lun: int
    path: str


@dataclass(frozen=True)
class IscsiTargetInfo:
    """Get-IscsiServerTarget | Select-Object TargetName, TargetIqn, InitiatorIds, LunMappings,
    EnableChap, Chap.UserName, Enable, Status."""

    name: str
    iqn: str
    initiator_ids: tuple[str, ...] = ()
    luns: tuple[LunMapping, ...] = ()
    chap_enabled: bool = False
    chap_user: str = ""
    enabled: bool = True
    status: str = "NotConnected"

    def lun_of(self, path: str) -> int | None:
        want = path.replace("/", "\\").casefold()
        for m in self.luns:
            if m.path.replace("/", "\\").casefold() == want:
                return m.lun
        return None


@dataclass(frozen=True)
class IscsiSnapshot:
    """Get-IscsiVirtualDiskSnapshot | Select-Object SnapshotId, OriginalPath, Description,
    TimeStamp."""

    snapshot_id: str
    original_path: str
    description: str
    created_at: dt.datetime  # UTC


@runtime_checkable
class IscsiTarget(Protocol):
    """The iSCSI Target Server of one Windows host. Transport errors as in ``HyperVHost``."""

    name: str

    # ---- the server ------------------------------------------------------------------------
    def iscsi_portals(self) -> list[IscsiPortal]:
        """(Get-IscsiTargetServerSetting).Portals | Select-Object Address, Port, Enabled.
        HostOperationFailed when the iSCSI Target Server role is not installed."""
        ...

    # ---- virtual disks ---------------------------------------------------------------------
    def new_iscsi_disk(
        self, path: str, size_bytes: int, *, description: str = "", fixed: bool = False
    ) -> IscsiDisk:
        """New-IscsiVirtualDisk -Path -SizeBytes [-UseFixed] -Description: a new ``.vhdx``.
        HostObjectExists when the file exists (Import-IscsiVirtualDisk is for that)."""
        ...

    def import_iscsi_disk(self, path: str, *, description: str = "") -> IscsiDisk:
        """Import-IscsiVirtualDisk -Path -Description: an existing VHDX becomes a virtual disk."""
        ...

    def get_iscsi_disk(self, path: str) -> IscsiDisk | None:
        """Get-IscsiVirtualDisk -Path; None when the path is not a virtual disk of the server."""
        ...

    def list_iscsi_disks(self) -> list[IscsiDisk]:
        """Get-IscsiVirtualDisk, sorted by path."""
        ...

    def resize_iscsi_disk(self, path: str, size_bytes: int) -> IscsiDisk:
        """Resize-IscsiVirtualDisk -Path -SizeBytes (growing only: wincloud refuses a shrink)."""
        ...

    def remove_iscsi_disk(self, path: str) -> None:
        """Remove-IscsiVirtualDisk -Path: the server forgets the disk, the file stays (remove it
        with ``remove_path``). PathInUse while a target maps it."""
        ...

    # ---- targets ---------------------------------------------------------------------------
    def new_iscsi_target(
        self, name: str, *, initiator_ids: tuple[str, ...] = ()
    ) -> IscsiTargetInfo:
        """New-IscsiServerTarget -TargetName -InitiatorIds. HostObjectExists when taken."""
        ...

    def get_iscsi_target(self, name: str) -> IscsiTargetInfo | None:
        """Get-IscsiServerTarget -TargetName (exact name); None when absent."""
        ...

    def list_iscsi_targets(self) -> list[IscsiTargetInfo]:
        """Get-IscsiServerTarget, sorted by name."""
        ...

    def set_iscsi_initiators(self, name: str, initiator_ids: tuple[str, ...]) -> IscsiTargetInfo:
        """Set-IscsiServerTarget -TargetName -InitiatorIds (replaces the access list; empty:
        nobody may log in)."""
        ...

    def set_iscsi_chap(self, name: str, user: str, secret: Secret | None) -> IscsiTargetInfo:
        """Set-IscsiServerTarget -TargetName -EnableChap $true -Chap (PSCredential user/secret);
        ``secret`` None: -EnableChap $false. ConfigError for a secret of the wrong length."""
        ...

    def map_iscsi_disk(self, target: str, path: str, *, lun: int | None = None) -> IscsiTargetInfo:
        """Add-IscsiVirtualDiskTargetMapping -TargetName -Path [-Lun] (first free LUN when
        None). Mapping a disk the target already maps changes nothing."""
        ...

    def unmap_iscsi_disk(self, target: str, path: str) -> IscsiTargetInfo:
        """Remove-IscsiVirtualDiskTargetMapping -TargetName -Path (unmapped already is fine)."""
        ...

    def remove_iscsi_target(self, name: str) -> None:
        """Remove-IscsiServerTarget -TargetName; its mappings go, the disks stay."""
        ...

    # ---- snapshots -------------------------------------------------------------------------
    def checkpoint_iscsi_disk(self, path: str, description: str) -> IscsiSnapshot:
        """Checkpoint-IscsiVirtualDisk -OriginalPath -Description (a VSS snapshot of the
        volume holding the disk, kept by the server)."""
        ...

    def list_iscsi_snapshots(self, path: str | None = None) -> list[IscsiSnapshot]:
        """Get-IscsiVirtualDiskSnapshot [-OriginalPath], oldest first."""
        ...

    def copy_iscsi_snapshot(self, snapshot_id: str, dest: str) -> None:
        """Export-IscsiVirtualDiskSnapshot -SnapshotId (a read-only virtual disk on the shadow
        copy), Copy-Item of its file to ``dest``, Remove-IscsiVirtualDisk of the exported one:
        ``dest`` is a plain VHDX with the snapshot's contents (import it to serve it)."""
        ...

    def remove_iscsi_snapshot(self, snapshot_id: str) -> None:
        """Remove-IscsiVirtualDiskSnapshot -SnapshotId (absent is fine)."""
        ...


# ---- the initiator side: a Hyper-V host logging in to targets (Nova's volume attach) ---------
@dataclass(frozen=True)
class IscsiSession:
    """Get-IscsiSession | Select-Object TargetNodeAddress, TargetPortal, and the LUN -> host disk
    number of each of its disks (Get-Disk -IscsiSession, Location's LUN)."""

    target_iqn: str
    portal: str  # "address:port"
    disks: tuple[tuple[int, int], ...] = ()  # (LUN, host disk number)

    def disk_of(self, lun: int) -> int | None:
        for number_lun, number in self.disks:
            if number_lun == lun:
                return number
        return None


@runtime_checkable
class IscsiInitiator(Protocol):
    """The Microsoft iSCSI initiator of a Hyper-V host and passthrough disks of its VMs."""

    name: str

    def iscsi_initiator_name(self) -> str:
        """(Get-InitiatorPort | Where-Object ConnectionType -eq iSCSI).NodeAddress: the IQN
        Nova's connector reports."""
        ...

    def iscsi_login(
        self, portal: str, target_iqn: str, lun: int, *, chap: tuple[str, Secret] | None = None
    ) -> int:
        """New-IscsiTargetPortal, Connect-IscsiTarget -NodeAddress -IsPersistent $true
        [-AuthenticationType ONEWAYCHAP -ChapUsername -ChapSecret] unless a session exists, then
        the disk at ``lun`` of the session (Get-Disk -IscsiSession) is set offline (Set-Disk
        -IsOffline $true: a passthrough disk must be offline on the host). Returns its disk
        number. HostAuthFailed-like refusals (wrong CHAP, initiator not allowed) raise
        HostOperationFailed; a LUN the target does not present raises HostObjectNotFound."""
        ...

    def iscsi_logout(self, target_iqn: str) -> None:
        """Disconnect-IscsiTarget -NodeAddress -Confirm:$false (no session is fine)."""
        ...

    def iscsi_sessions(self) -> list[IscsiSession]:
        """Get-IscsiSession with each session's disks."""
        ...

    def attach_passthrough(self, vm: str, disk_number: int) -> int:
        """Add-VMHardDiskDrive -VMName -DiskNumber -ControllerType SCSI (first free location);
        returns the SCSI location. The disk must be offline on the host."""
        ...

    def detach_passthrough(self, vm: str, disk_number: int) -> None:
        """Get-VMHardDiskDrive -VMName | Where-Object DiskNumber -eq | Remove-VMHardDiskDrive
        (not attached is fine)."""
        ...

    def list_passthrough(self, vm: str) -> list[int]:
        """The host disk numbers attached to the VM as passthrough disks, sorted."""
        ...
