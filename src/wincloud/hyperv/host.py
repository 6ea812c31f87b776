"""The Hyper-V host boundary: the ``HyperVHost`` Protocol and the records it exchanges.

Everything wincloud asks of a Hyper-V host goes through this one typed interface. Each method is
one PowerShell script run over PowerShell remoting; its docstring names the cmdlets and the
properties the script projects (``Select-Object`` / ``[pscustomobject]@{...}``), so a response is
a small, stable object. Implementations: ``wincloud.hyperv.psrp.PsrpHost`` (pypsrp) and
``wincloud.hyperv.fake.FakeHost`` (stateful, in memory). Both pass ``tests/unit/hyperv/contract``.

Conventions
- VMs, NICs and checkpoints are addressed by name; names are unique per host (VMs), per VM (NICs,
  checkpoints). Hyper-V itself allows duplicates; we refuse to create them.
- Paths are host paths (``C:\\Hyper-V\\x.vhdx``); compared case-insensitively, ``/`` = ``\\``.
- Absent is a value: ``find_vm`` -> ``None``, ``file_exists`` -> ``False``. Anything that went
  wrong raises a ``HyperVError`` subclass (wincloud.errors) naming the host and the cmdlet.
- MAC addresses are lower-case and colon-separated (``00:15:5d:01:02:03``) in both directions.
- Sizes are bytes unless a field name says otherwise (``memory_mb``, ``disk_gb_free``).
- ``set_vm_state`` returns the VM as it is after the action.
- A checkpoint redirects each attached hard disk to a new ``.avhdx``/``.avhd`` child (``list_disks``
  shows the child); removing the checkpoint merges it back and the drive points at the parent again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "CheckpointInfo",
    "Controller",
    "DirEntry",
    "DiskKind",
    "DiskSlot",
    "HostInfo",
    "HyperVHost",
    "NicInfo",
    "SwitchInfo",
    "SwitchType",
    "VhdFormat",
    "VhdInfo",
    "VhdType",
    "VmAction",
    "VmInfo",
    "VmSpec",
    "VmState",
]

SwitchType = Literal["External", "Internal", "Private"]
DiskKind = Literal["hdd", "dvd"]
Controller = Literal["ide", "scsi"]


class VmState(StrEnum):
    """``Microsoft.HyperV.PowerShell.VMState``; the ``*Critical`` variants map to their base."""

    RUNNING = "running"
    OFF = "off"
    SAVED = "saved"
    PAUSED = "paused"
    STARTING = "starting"
    STOPPING = "stopping"
    SAVING = "saving"
    PAUSING = "pausing"
    RESUMING = "resuming"
    RESET = "reset"
    OTHER = "other"

    @classmethod
    def from_hyperv(cls, value: int) -> VmState:
        """The enum's integer (the ``<I32>`` of a CLIXML ``VMState``) -> our state."""
        return _VMSTATE_CODES.get(value, cls.OTHER)


# https://learn.microsoft.com/en-us/dotnet/api/microsoft.hyperv.powershell.vmstate (unverified
# numbering of the *Critical members; the base members are the WMI EnabledState values).
_VMSTATE_CODES: dict[int, VmState] = {
    1: VmState.OTHER,
    2: VmState.RUNNING,
    3: VmState.OFF,
    4: VmState.STOPPING,
    6: VmState.SAVED,
    9: VmState.PAUSED,
    10: VmState.STARTING,
    11: VmState.RESET,
    32773: VmState.SAVING,
    32776: VmState.PAUSING,
    32777: VmState.RESUMING,
    32779: VmState.SAVED,  # FastSaved
    32780: VmState.SAVING,  # FastSaving
    32785: VmState.RUNNING,  # RunningCritical
    32786: VmState.OFF,
    32787: VmState.STOPPING,
    32788: VmState.SAVED,
    32789: VmState.PAUSED,
    32790: VmState.STARTING,
    32791: VmState.RESET,
    32792: VmState.SAVING,
    32793: VmState.PAUSING,
    32794: VmState.RESUMING,
    32795: VmState.SAVED,
    32796: VmState.SAVING,
}


class VmAction(StrEnum):
    START = "start"  # Start-VM
    STOP = "stop"  # Stop-VM -TurnOff (hard power off; discards a saved state)
    SHUTDOWN = "shutdown"  # Stop-VM -Force (guest shutdown via integration services, timeout_s)
    SAVE = "save"  # Save-VM
    PAUSE = "pause"  # Suspend-VM
    RESUME = "resume"  # Resume-VM
    RESET = "reset"  # Restart-VM -Force (hard reset of a running VM)


class VhdFormat(StrEnum):
    VHD = "vhd"
    VHDX = "vhdx"


class VhdType(StrEnum):
    FIXED = "fixed"
    DYNAMIC = "dynamic"
    DIFFERENCING = "differencing"


@dataclass(frozen=True)
class HostInfo:
    hostname: str
    os_version: str  # "10.0.20348"
    os_build: int  # 20348
    logical_processors: int
    memory_mb_total: int
    memory_mb_free: int
    disk_gb_total: float  # the volume holding instances_path
    disk_gb_free: float
    instances_path: str  # Get-VMHost VirtualHardDiskPath unless configured otherwise
    hyperv_version: str  # Get-VMHost's module/host version, e.g. "10.0.20348.1"
    os_caption: str = ""  # "Microsoft Windows Server 2022 Datacenter"


@dataclass(frozen=True)
class SwitchInfo:
    name: str
    switch_type: SwitchType
    extensions_enabled: tuple[str, ...] = ()


@dataclass(frozen=True)
class VmInfo:
    name: str
    vm_id: str  # GUID, lower case
    state: VmState
    generation: int  # 1 | 2
    cpu_count: int
    memory_mb: int  # startup memory
    uptime_s: float
    notes: str = ""
    secure_boot: bool | None = None  # None for generation 1 (no UEFI)


@dataclass(frozen=True)
class VmSpec:
    name: str
    generation: int = 2
    cpu_count: int = 1
    memory_mb: int = 1024
    secure_boot: bool = True  # generation 2 only; ignored (must be False) for generation 1
    notes: str = ""
    path: str | None = None  # where the VM's configuration lives; host default when None


@dataclass(frozen=True)
class DiskSlot:
    path: str
    kind: DiskKind
    controller: Controller
    controller_number: int
    location: int


@dataclass(frozen=True)
class NicInfo:
    name: str
    mac: str  # "00:15:5d:01:02:03"
    switch: str | None
    vlan_id: int | None  # None: untagged
    vm_name: str = ""


@dataclass(frozen=True)
class VhdInfo:
    path: str
    format: VhdFormat
    vhd_type: VhdType
    size_bytes: int  # virtual size
    file_size_bytes: int
    parent_path: str | None = None
    attached: bool = False  # Get-VHD's Attached: in use by a running VM or mounted


@dataclass(frozen=True)
class DirEntry:
    name: str
    is_dir: bool
    size_bytes: int
    modified_at: dt.datetime  # UTC
    accessed_at: dt.datetime | None = None


@dataclass(frozen=True)
class CheckpointInfo:
    name: str
    vm_name: str
    created_at: dt.datetime  # UTC
    parent_name: str | None = None
    # the disk files the checkpoint froze (Get-VMSnapshot HardDrives.Path): the parents of the
    # .avhdx children the VM now writes to; read-only until the checkpoint is removed
    disk_paths: tuple[str, ...] = field(default=())


@runtime_checkable
class HyperVHost(Protocol):
    """One Hyper-V host. Every method may raise ``HostUnreachable``/``HostAuthFailed``/
    ``HostTimeout`` (transport) besides the errors it lists."""

    name: str  # the host as named in messages ("hv01.example.net", "fake")

    def close(self) -> None:
        """Release the connection (runspace pool). Idempotent."""
        ...

    # ---- host facts ------------------------------------------------------------------------
    def host_info(self) -> HostInfo:
        """Get-CimInstance Win32_OperatingSystem (Caption, Version, BuildNumber,
        TotalVisibleMemorySize, FreePhysicalMemory) + Get-VMHost (ComputerName,
        LogicalProcessorCount, VirtualHardDiskPath) + Get-Volume on that path (Size,
        SizeRemaining)."""
        ...

    def list_switches(self) -> list[SwitchInfo]:
        """Get-VMSwitch | Select-Object Name, SwitchType, and the names of
        Get-VMSwitchExtension where Enabled."""
        ...

    # ---- VMs -------------------------------------------------------------------------------
    def list_vms(self) -> list[VmInfo]:
        """Get-VM | Select-Object VMName, VMId, State, Generation, ProcessorCount,
        MemoryStartup, Uptime, Notes (+ Get-VMFirmware SecureBoot for generation 2)."""
        ...

    def find_vm(self, name: str) -> VmInfo | None:
        """Get-VM -Name (no wildcards) with the projection of ``list_vms``; None when absent."""
        ...

    def create_vm(self, spec: VmSpec) -> VmInfo:
        """New-VM -Name -Generation -MemoryStartupBytes -NoVHD [-Path]; Set-VM -ProcessorCount
        -StaticMemory -Notes -AutomaticStartAction Nothing -AutomaticStopAction TurnOff;
        Set-VMFirmware -EnableSecureBoot (generation 2). HostObjectExists if the name is taken;
        ConfigError for a bad spec (generation not 1|2, secure boot on generation 1, ...)."""
        ...

    def set_vm_state(self, name: str, action: VmAction, *, timeout_s: float = 120.0) -> VmInfo:
        """Start-VM | Stop-VM -TurnOff | Stop-VM -Force (guest shutdown, waited for up to
        timeout_s, HostTimeout after) | Save-VM | Suspend-VM | Resume-VM | Restart-VM -Force.
        VmNotFound; InvalidVmState when the state forbids the action; InsufficientHostResources
        when starting needs more memory than the host has free."""
        ...

    def remove_vm(self, name: str) -> None:
        """Remove-VM -Force. The VM must be off (InvalidVmState); its disks stay on the host."""
        ...

    # ---- disks -----------------------------------------------------------------------------
    def attach_disk(
        self, vm: str, path: str, *, kind: DiskKind = "hdd", controller: Controller = "scsi"
    ) -> DiskSlot:
        """Add-VMHardDiskDrive | Add-VMDvdDrive -VMName -Path -ControllerType (first free
        location; a SCSI controller is added when the VM has none). Projects ControllerType,
        ControllerNumber, ControllerLocation, Path."""
        ...

    def detach_disk(self, vm: str, path: str) -> None:
        """Get-VMHardDiskDrive/Get-VMDvdDrive where Path matches | Remove-VM*Drive."""
        ...

    def list_disks(self, vm: str) -> list[DiskSlot]:
        """Get-VMHardDiskDrive + Get-VMDvdDrive (ControllerType, ControllerNumber,
        ControllerLocation, Path); empty DVD drives are left out. Sorted by controller, number,
        location."""
        ...

    # ---- NICs and vSwitch ports ------------------------------------------------------------
    def add_nic(
        self, vm: str, nic_name: str, *, mac: str | None = None, switch: str | None = None
    ) -> NicInfo:
        """Add-VMNetworkAdapter -VMName -Name [-StaticMacAddress] [-SwitchName]; projects
        Name, MacAddress, SwitchName, VlanSetting.AccessVlanId."""
        ...

    def connect_nic(self, vm: str, nic_name: str, switch: str) -> None:
        """Connect-VMNetworkAdapter -VMName -Name -SwitchName."""
        ...

    def disconnect_nic(self, vm: str, nic_name: str) -> None:
        """Disconnect-VMNetworkAdapter -VMName -Name."""
        ...

    def remove_nic(self, vm: str, nic_name: str) -> None:
        """Remove-VMNetworkAdapter -VMName -Name."""
        ...

    def list_nics(self, vm: str) -> list[NicInfo]:
        """Get-VMNetworkAdapter -VMName (Name, MacAddress, SwitchName) with
        Get-VMNetworkAdapterVlan (OperationMode, AccessVlanId)."""
        ...

    def set_port_vlan(self, vm: str, nic_name: str, vlan_id: int | None) -> None:
        """Set-VMNetworkAdapterVlan -Access -VlanId (1..4094) | -Untagged when None."""
        ...

    # ---- virtual disks ---------------------------------------------------------------------
    def new_vhd(
        self, path: str, size_bytes: int, *, fmt: VhdFormat = VhdFormat.VHDX, dynamic: bool = True
    ) -> VhdInfo:
        """New-VHD -Path -SizeBytes -Dynamic|-Fixed; the extension must match ``fmt``."""
        ...

    def new_diff_vhd(self, parent: str, child: str) -> VhdInfo:
        """New-VHD -Path child -ParentPath parent -Differencing."""
        ...

    def get_vhd(self, path: str) -> VhdInfo:
        """Get-VHD -Path | Select-Object Path, VhdFormat, VhdType, Size, FileSize, ParentPath,
        Attached. HostObjectNotFound when absent; HostOperationFailed when not a virtual disk."""
        ...

    def resize_vhd(self, path: str, size_bytes: int) -> VhdInfo:
        """Resize-VHD -Path -SizeBytes (growing only)."""
        ...

    def merge_vhd(self, child: str, dest: str | None = None) -> None:
        """Merge-VHD -Path child [-DestinationPath dest]; dest defaults to the parent and must be
        an ancestor. The merged children stay on the host but are no longer valid disks."""
        ...

    def set_vhd_parent(self, child: str, parent: str) -> VhdInfo:
        """Set-VHD -Path child -ParentPath parent: point a differencing disk at another copy of
        its parent (the Nova driver's snapshot merges a copied root into a copied base). Both
        disks must have the same format and virtual size; the child must not be in use."""
        ...

    # ---- files -----------------------------------------------------------------------------
    def file_exists(self, path: str) -> bool:
        """Test-Path -LiteralPath."""
        ...

    def remove_path(self, path: str) -> None:
        """Remove-Item -LiteralPath -Recurse -Force; absent is fine; PathInUse when a running
        VM holds the file (or a file below the directory)."""
        ...

    def make_dir(self, path: str) -> None:
        """New-Item -ItemType Directory -Force (parents too; existing is fine)."""
        ...

    def list_dir(self, path: str) -> list[DirEntry]:
        """Get-ChildItem -LiteralPath | Select-Object Name, PSIsContainer, Length,
        LastWriteTimeUtc, LastAccessTimeUtc; sorted by name."""
        ...

    def write_file(self, path: str, chunks: Iterable[bytes]) -> int:
        """Create or replace ``path`` from the chunks (one call per chunk batch, appended with a
        FileStream); returns the bytes written. The parent directory must exist."""
        ...

    def read_file(self, path: str, *, max_bytes: int, offset: int = 0) -> bytes:
        """Up to ``max_bytes`` from ``offset`` (a FileStream opened read/share-read-write)."""
        ...

    def copy_file(self, src: str, dest: str) -> None:
        """Copy-Item -LiteralPath src -Destination dest (host-side; no bytes cross the wire)."""
        ...

    # ---- serial console --------------------------------------------------------------------
    def set_com_pipe(self, vm: str, port: int, pipe: str) -> None:
        """Set-VMComPort -VMName -Number (1|2) -Path \\\\.\\pipe\\<pipe>. The VM must be off."""
        ...

    def read_console(self, vm: str, *, max_bytes: int) -> bytes:
        """The last ``max_bytes`` of what the guest wrote to its COM1 pipe, as kept by the host
        side log (see the psrp implementation for how it is collected). b"" when nothing."""
        ...

    # ---- checkpoints -----------------------------------------------------------------------
    def create_checkpoint(self, vm: str, name: str) -> CheckpointInfo:
        """Checkpoint-VM -Name -SnapshotName -Passthru (standard checkpoint)."""
        ...

    def remove_checkpoint(self, vm: str, name: str) -> None:
        """Remove-VMSnapshot -VMName -Name (merges its differencing disks back)."""
        ...

    def list_checkpoints(self, vm: str) -> list[CheckpointInfo]:
        """Get-VMSnapshot -VMName | Select-Object Name, VMName, CreationTime, ParentSnapshotName,
        HardDrives.Path; oldest first."""
        ...
