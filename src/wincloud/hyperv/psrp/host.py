"""PsrpHost: the HyperVHost Protocol over PowerShell remoting (pypsrp).

Each method runs one script from ``scripts/`` through the host's ``Session`` (one runspace
pool, reused; a deadline on every call) and turns the objects it returns into our records.
Arguments are PowerShell parameters; sizes travel as Int64/UInt64, file data as byte arrays.

What is verified: the wire path (WSMan, PSRP fragments, CLIXML in and out) against a localhost
replay server in the tests, with responses written from documentation. What is not: that the
scripts behave on a real Hyper-V host as documented (no Windows host was available).
"""

from __future__ import annotations

import logging
import ntpath
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from wincloud.errors import ConfigError, HostOperationFailed
from wincloud.hyperv.host import (
    CheckpointInfo,
    Controller,
    DirEntry,
    DiskKind,
    DiskSlot,
    HostInfo,
    NicInfo,
    SwitchInfo,
    SwitchType,
    VhdFormat,
    VhdInfo,
    VmAction,
    VmInfo,
    VmSpec,
)
from wincloud.hyperv.psrp import scripts
from wincloud.hyperv.psrp._iscsi import PsrpIscsi
from wincloud.hyperv.psrp._ports import PsrpPorts
from wincloud.hyperv.psrp.decode import Record
from wincloud.hyperv.psrp.records import (
    checkpoint_info,
    disk_slot,
    nic_info,
    vhd_info,
    vm_info,
)
from wincloud.hyperv.psrp.session import HostSettings, Session

log = logging.getLogger(__name__)

_KIB = 1024
_MIB = 1024 * 1024
_GIB = 1024 * _MIB
_SWITCH_TYPES: tuple[SwitchType, ...] = ("External", "Internal", "Private")


def _i64(value: int) -> Any:
    from pypsrp.serializer import TaggedValue

    return TaggedValue("I64", int(value))


def _u64(value: int) -> Any:
    from pypsrp.serializer import TaggedValue

    return TaggedValue("U64", int(value))


def _mac_param(mac: str) -> str:
    from wincloud.hyperv.fake import normalize_mac

    return normalize_mac(mac).replace(":", "").upper()


class PsrpHost(PsrpIscsi, PsrpPorts):
    def __init__(
        self,
        settings: HostSettings,
        *,
        instances_path: str | None = None,
        console_log_dir: str = "C:\\ProgramData\\wincloud\\console",
        write_chunk_bytes: int = 256 * _KIB,
        session: Session | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.host
        self.instances_path = instances_path
        self.console_log_dir = console_log_dir
        self.write_chunk_bytes = write_chunk_bytes
        self._session = session or Session(settings)

    def close(self) -> None:
        self._session.close()

    # ---- plumbing ---------------------------------------------------------------------------
    def _run(
        self,
        script: str,
        cmdlet: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> list[Record]:
        out = self._session.run(
            scripts.load(script), params or {}, cmdlet=cmdlet, timeout_s=timeout_s
        )
        return [Record(o, host=self.name, cmdlet=cmdlet) for o in out if o is not None]

    def _one(
        self,
        script: str,
        cmdlet: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
    ) -> Record:
        recs = self._run(script, cmdlet, params, timeout_s=timeout_s)
        if len(recs) != 1:
            raise HostOperationFailed(
                f"{cmdlet} on {self.name} returned {len(recs)} objects, expected 1",
                host=self.name,
                cmdlet=cmdlet,
            )
        return recs[0]

    # ---- host facts -------------------------------------------------------------------------
    def host_info(self) -> HostInfo:
        r = self._one("host_info", "Get-VMHost", {"InstancesPath": self.instances_path or ""})
        return HostInfo(
            hostname=r.text("Hostname"),
            os_version=r.text("Version"),
            os_build=r.integer("BuildNumber"),
            logical_processors=r.integer("LogicalProcessors"),
            memory_mb_total=r.integer("TotalMemoryKB") // _KIB,
            memory_mb_free=r.integer("FreeMemoryKB") // _KIB,
            disk_gb_total=round(r.integer("DiskTotalBytes") / _GIB, 2),
            disk_gb_free=round(r.integer("DiskFreeBytes") / _GIB, 2),
            instances_path=r.text("InstancesPath"),
            hyperv_version=r.text("HyperVVersion", ""),
            os_caption=r.text("Caption", ""),
        )

    def list_switches(self) -> list[SwitchInfo]:
        out = []
        for r in self._run("list_switches", "Get-VMSwitch"):
            kind = r.text("SwitchType")
            if kind not in _SWITCH_TYPES:
                raise HostOperationFailed(
                    f"Get-VMSwitch on {self.name}: unknown type {kind!r}",
                    host=self.name,
                    cmdlet="Get-VMSwitch",
                )
            st: SwitchType = (
                "External"
                if kind == "External"
                else ("Internal" if kind == "Internal" else "Private")
            )
            out.append(SwitchInfo(r.text("Name"), st, tuple(r.str_list("Extensions"))))
        return out

    # ---- VMs --------------------------------------------------------------------------------
    def list_vms(self) -> list[VmInfo]:
        return [vm_info(r) for r in self._run("list_vms", "Get-VM")]

    def find_vm(self, name: str) -> VmInfo | None:
        found = [vm_info(r) for r in self._run("list_vms", "Get-VM", {"Name": name})]
        return found[0] if found else None

    def create_vm(self, spec: VmSpec) -> VmInfo:
        if spec.generation not in (1, 2):
            raise ConfigError("generation must be 1 or 2", subject=f"{spec.name}.generation")
        if spec.secure_boot and spec.generation == 1:
            raise ConfigError(
                "Secure Boot needs a generation 2 VM", subject=f"{spec.name}.secure_boot"
            )
        if not spec.name or len(spec.name) > 100:
            raise ConfigError("a VM name has 1..100 characters", subject=spec.name)
        params = {
            "Name": spec.name,
            "Generation": spec.generation,
            "ProcessorCount": _i64(spec.cpu_count),
            "MemoryBytes": _i64(spec.memory_mb * _MIB),
            "SecureBoot": spec.secure_boot,
            "Notes": spec.notes,
            "Path": spec.path or "",
        }
        return vm_info(self._one("create_vm", "New-VM", params))

    def set_vm_state(self, name: str, action: VmAction, *, timeout_s: float = 120.0) -> VmInfo:
        action = VmAction(action)
        cmdlet = {
            VmAction.START: "Start-VM",
            VmAction.STOP: "Stop-VM",
            VmAction.SHUTDOWN: "Stop-VM",
            VmAction.SAVE: "Save-VM",
            VmAction.PAUSE: "Suspend-VM",
            VmAction.RESUME: "Resume-VM",
            VmAction.RESET: "Restart-VM",
        }[action]
        params = {"Name": name, "Action": action.value, "TimeoutSeconds": max(1, int(timeout_s))}
        # the call's own deadline leaves the script time to report its timeout itself
        call_timeout = max(self.settings.call_timeout_s, timeout_s + 30)
        return vm_info(self._one("set_vm_state", cmdlet, params, timeout_s=call_timeout))

    def remove_vm(self, name: str) -> None:
        self._run("remove_vm", "Remove-VM", {"Name": name})

    # ---- disks ------------------------------------------------------------------------------
    def attach_disk(
        self, vm: str, path: str, *, kind: DiskKind = "hdd", controller: Controller = "scsi"
    ) -> DiskSlot:
        if kind not in ("hdd", "dvd") or controller not in ("ide", "scsi"):
            raise ConfigError(
                "kind is hdd|dvd and controller ide|scsi", subject=f"{kind}/{controller}"
            )
        cmdlet = "Add-VMHardDiskDrive" if kind == "hdd" else "Add-VMDvdDrive"
        params = {"VMName": vm, "Path": path, "Kind": kind, "Controller": controller}
        return disk_slot(self._one("attach_disk", cmdlet, params))

    def detach_disk(self, vm: str, path: str) -> None:
        self._run("detach_disk", "Remove-VMHardDiskDrive", {"VMName": vm, "Path": path})

    def list_disks(self, vm: str) -> list[DiskSlot]:
        slots = [
            disk_slot(r) for r in self._run("list_disks", "Get-VMHardDiskDrive", {"VMName": vm})
        ]
        return sorted(slots, key=lambda s: (s.controller, s.controller_number, s.location))

    # ---- NICs -------------------------------------------------------------------------------
    def add_nic(
        self, vm: str, nic_name: str, *, mac: str | None = None, switch: str | None = None
    ) -> NicInfo:
        params = {
            "VMName": vm,
            "NicName": nic_name,
            "Mac": _mac_param(mac) if mac else "",
            "Switch": switch or "",
        }
        return nic_info(self._one("add_nic", "Add-VMNetworkAdapter", params))

    def _port(self, vm: str, nic_name: str, action: str, cmdlet: str, **extra: Any) -> None:
        self._run(
            "nic_port", cmdlet, {"VMName": vm, "NicName": nic_name, "Action": action, **extra}
        )

    def connect_nic(self, vm: str, nic_name: str, switch: str) -> None:
        self._port(vm, nic_name, "connect", "Connect-VMNetworkAdapter", Switch=switch)

    def disconnect_nic(self, vm: str, nic_name: str) -> None:
        self._port(vm, nic_name, "disconnect", "Disconnect-VMNetworkAdapter")

    def remove_nic(self, vm: str, nic_name: str) -> None:
        self._port(vm, nic_name, "remove", "Remove-VMNetworkAdapter")

    def list_nics(self, vm: str) -> list[NicInfo]:
        return [nic_info(r) for r in self._run("list_nics", "Get-VMNetworkAdapter", {"VMName": vm})]

    def set_port_vlan(self, vm: str, nic_name: str, vlan_id: int | None) -> None:
        if vlan_id is not None and not 1 <= vlan_id <= 4094:
            raise ConfigError("a VLAN id is 1..4094", subject=f"{vm}/{nic_name} vlan_id")
        self._port(vm, nic_name, "vlan", "Set-VMNetworkAdapterVlan", VlanId=vlan_id or 0)

    # ---- virtual disks ----------------------------------------------------------------------
    def new_vhd(
        self, path: str, size_bytes: int, *, fmt: VhdFormat = VhdFormat.VHDX, dynamic: bool = True
    ) -> VhdInfo:
        fmt = VhdFormat(fmt)
        if not path.lower().endswith("." + fmt.value):
            raise ConfigError(
                f"the extension of {path} does not match the format {fmt.value}",
                subject=path,
                hint="New-VHD picks the format from the extension",
            )
        if size_bytes <= 0:
            raise ConfigError("a virtual disk size is positive", subject=f"{path} size")
        params = {"Path": path, "SizeBytes": _u64(size_bytes), "Dynamic": dynamic}
        return vhd_info(self._one("new_vhd", "New-VHD", params))

    def new_diff_vhd(self, parent: str, child: str) -> VhdInfo:
        return vhd_info(self._one("new_vhd", "New-VHD", {"Path": child, "ParentPath": parent}))

    def get_vhd(self, path: str) -> VhdInfo:
        return vhd_info(self._one("get_vhd", "Get-VHD", {"Path": path}))

    def resize_vhd(self, path: str, size_bytes: int) -> VhdInfo:
        params = {"Path": path, "SizeBytes": _u64(size_bytes)}
        return vhd_info(self._one("resize_vhd", "Resize-VHD", params))

    def merge_vhd(self, child: str, dest: str | None = None) -> None:
        self._run(
            "merge_vhd",
            "Merge-VHD",
            {"Path": child, "DestinationPath": dest or ""},
            timeout_s=max(self.settings.call_timeout_s, 3600),
        )

    def set_vhd_parent(self, child: str, parent: str) -> VhdInfo:
        params = {"Path": child, "ParentPath": parent}
        return vhd_info(self._one("set_vhd_parent", "Set-VHD", params))

    # ---- files ------------------------------------------------------------------------------
    def file_exists(self, path: str) -> bool:
        return self._one("file_exists", "Test-Path", {"Path": path}).flag("Exists")

    def remove_path(self, path: str) -> None:
        self._run("remove_path", "Remove-Item", {"Path": path})

    def make_dir(self, path: str) -> None:
        self._run("make_dir", "New-Item", {"Path": path})

    def list_dir(self, path: str) -> list[DirEntry]:
        return [
            DirEntry(
                r.text("Name"),
                r.flag("PSIsContainer"),
                r.integer("Length", 0),
                r.datetime("LastWriteTimeUtc"),
                r.opt_datetime("LastAccessTimeUtc"),
            )
            for r in self._run("list_dir", "Get-ChildItem", {"Path": path})
        ]

    def write_file(self, path: str, chunks: Iterable[bytes]) -> int:
        """Chunks are regrouped to ``write_chunk_bytes`` per call, appended to a partial file
        next to ``path`` that replaces ``path`` at the end (a failure leaves ``path`` as it was)."""
        partial = f"{path}.{uuid.uuid4().hex[:8]}.partial"
        total = 0
        first = True
        buffer = bytearray()

        def flush() -> None:
            nonlocal first
            self._one(
                "write_chunk",
                "Set-Content",
                {"Path": partial, "Data": bytes(buffer) or None, "Append": not first},
            )
            first = False
            buffer.clear()

        try:
            for chunk in chunks:
                buffer += chunk
                total += len(chunk)
                while len(buffer) >= self.write_chunk_bytes:
                    rest = bytes(buffer[self.write_chunk_bytes :])
                    del buffer[self.write_chunk_bytes :]
                    flush()
                    buffer += rest
            if buffer or first:
                flush()
            self._run("finish_write", "Move-Item", {"Partial": partial, "Path": path})
        except BaseException:
            if not first:
                try:
                    self._run(
                        "finish_write",
                        "Remove-Item",
                        {"Partial": partial, "Path": path, "Discard": True},
                    )
                except Exception as exc:  # the original error is what the caller needs
                    log.warning(
                        "partial file left host=%s path=%s error=%s", self.name, partial, exc
                    )
            raise
        return total

    def read_file(self, path: str, *, max_bytes: int, offset: int = 0) -> bytes:
        if max_bytes <= 0:
            return b""
        params = {"Path": path, "Offset": _i64(offset), "MaxBytes": int(max_bytes)}
        data = self._one("read_file", "Get-Content", params).raw("Data")
        return bytes(data) if isinstance(data, bytes | bytearray) else b""

    def copy_file(self, src: str, dest: str) -> None:
        self._run(
            "copy_file",
            "Copy-Item",
            {"Path": src, "Destination": dest},
            timeout_s=max(self.settings.call_timeout_s, 3600),
        )

    # ---- serial console ---------------------------------------------------------------------
    def set_com_pipe(self, vm: str, port: int, pipe: str) -> None:
        if port not in (1, 2):
            raise ConfigError("a COM port is 1 or 2", subject=f"{vm} port={port}")
        name = pipe.rpartition("\\")[2]
        if not name or any(c in name for c in "\r\n\x00/"):
            raise ConfigError("not a pipe name", subject=pipe)
        self._run("set_com_pipe", "Set-VMComPort", {"VMName": vm, "Number": port, "Pipe": name})

    def read_console(self, vm: str, *, max_bytes: int) -> bytes:
        if max_bytes <= 0:
            return b""
        log_path = ntpath.join(self.console_log_dir, f"{vm}.log")
        params = {"VMName": vm, "LogPath": log_path, "MaxBytes": int(max_bytes)}
        data = self._one("read_console", "Get-VMComPort", params).raw("Data")
        return bytes(data) if isinstance(data, bytes | bytearray) else b""

    # ---- checkpoints ------------------------------------------------------------------------
    def create_checkpoint(self, vm: str, name: str) -> CheckpointInfo:
        params = {"VMName": vm, "Action": "create", "Name": name}
        return checkpoint_info(self._one("checkpoint", "Checkpoint-VM", params))

    def remove_checkpoint(self, vm: str, name: str) -> None:
        self._run(
            "checkpoint",
            "Remove-VMSnapshot",
            {"VMName": vm, "Action": "remove", "Name": name},
            timeout_s=max(self.settings.call_timeout_s, 660),
        )

    def list_checkpoints(self, vm: str) -> list[CheckpointInfo]:
        return [
            checkpoint_info(r)
            for r in self._run("checkpoint", "Get-VMSnapshot", {"VMName": vm, "Action": "list"})
        ]
