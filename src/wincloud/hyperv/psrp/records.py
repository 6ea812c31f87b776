"""Output objects of the psrp scripts -> our records (one function per projection)."""

from __future__ import annotations

from wincloud.errors import HostOperationFailed
from wincloud.hyperv.host import (
    CheckpointInfo,
    Controller,
    DiskKind,
    DiskSlot,
    NicInfo,
    VhdFormat,
    VhdInfo,
    VhdType,
    VmInfo,
    VmState,
)
from wincloud.hyperv.psrp.decode import Record

_MIB = 1024 * 1024


def vm_info(r: Record) -> VmInfo:
    return VmInfo(
        name=r.text("VMName"),
        vm_id=r.guid("VMId"),
        state=VmState.from_hyperv(r.enum_int("State")),
        generation=r.integer("Generation"),
        cpu_count=r.integer("ProcessorCount"),
        memory_mb=r.integer("MemoryStartup") // _MIB,
        uptime_s=r.timespan_s("Uptime"),
        notes=r.text("Notes", ""),
        secure_boot=r.opt_flag("SecureBoot"),
    )


def disk_slot(r: Record) -> DiskSlot:
    kind: DiskKind = "dvd" if r.text("Kind") == "dvd" else "hdd"
    controller: Controller = "ide" if r.enum_str("ControllerType").upper() == "IDE" else "scsi"
    return DiskSlot(
        r.text("Path"),
        kind,
        controller,
        r.integer("ControllerNumber"),
        r.integer("ControllerLocation"),
    )


def nic_info(r: Record) -> NicInfo:
    from wincloud.hyperv.fake import normalize_mac

    vlan = r.opt_integer("AccessVlanId")
    return NicInfo(
        name=r.text("Name"),
        mac=normalize_mac(r.text("MacAddress")),
        switch=r.opt_text("SwitchName"),
        vlan_id=vlan if vlan else None,
        vm_name=r.text("VMName", ""),
    )


def vhd_info(r: Record) -> VhdInfo:
    fmt = r.enum_str("VhdFormat").lower()
    kind = r.enum_str("VhdType").lower()
    if fmt not in ("vhd", "vhdx") or kind not in ("fixed", "dynamic", "differencing"):
        raise HostOperationFailed(
            f"Get-VHD on {r.host}: unknown disk {fmt}/{kind}",
            host=r.host,
            cmdlet="Get-VHD",
        )
    return VhdInfo(
        path=r.text("Path"),
        format=VhdFormat(fmt),
        vhd_type=VhdType(kind),
        size_bytes=r.integer("Size"),
        file_size_bytes=r.integer("FileSize"),
        parent_path=r.opt_text("ParentPath"),
        attached=bool(r.opt_flag("Attached")),
    )


def checkpoint_info(r: Record) -> CheckpointInfo:
    return CheckpointInfo(
        name=r.text("Name"),
        vm_name=r.text("VMName"),
        created_at=r.datetime("CreationTime"),
        parent_name=r.opt_text("ParentSnapshotName"),
        disk_paths=tuple(r.str_list("DiskPaths")),
    )
