"""What the replay server answers for each of our scripts: the operation runs on a FakeHost and
its result is rendered into the hand-written fixtures, so a psrp call goes through the whole wire
path (parameters in, CLIXML out) and the contract suite sees the same state it sees on the fake.
Errors the fake raises are sent back as the ErrorRecord our scripts' Stop-Wincloud produces."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from tests.unit.hyperv.replay import clixml as cx
from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostTimeout,
    InsufficientHostResources,
    InvalidVmState,
    PathInUse,
    VmNotFound,
    WincloudError,
)
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import (
    CheckpointInfo,
    DirEntry,
    DiskSlot,
    NicInfo,
    VhdInfo,
    VmAction,
    VmInfo,
    VmSpec,
    VmState,
)

_STATE = {
    VmState.RUNNING: ("Running", 2),
    VmState.OFF: ("Off", 3),
    VmState.STOPPING: ("Stopping", 4),
    VmState.SAVED: ("Saved", 6),
    VmState.PAUSED: ("Paused", 9),
    VmState.STARTING: ("Starting", 10),
    VmState.RESET: ("Reset", 11),
    VmState.SAVING: ("Saving", 32773),
    VmState.PAUSING: ("Pausing", 32776),
    VmState.RESUMING: ("Resuming", 32777),
    VmState.OTHER: ("Other", 1),
}
# (ErrorId, ErrorCategory) that Stop-Wincloud would use for each of our errors; most specific first
_ERROR_IDS: list[tuple[type[WincloudError], str, int]] = [
    (VmNotFound, "WincloudVmNotFound", 13),
    (HostObjectNotFound, "WincloudNotFound", 13),
    (HostObjectExists, "WincloudExists", 20),
    (InvalidVmState, "WincloudVmState", 7),
    (PathInUse, "WincloudInUse", 19),
    (InsufficientHostResources, "WincloudNoResources", 29),
    (HostTimeout, "WincloudTimeout", 15),
    (ConfigError, "WincloudBadArgument", 5),
]
_CATEGORY_NAMES = {
    5: "InvalidArgument",
    7: "InvalidOperation",
    13: "ObjectNotFound",
    15: "OperationTimeout",
    19: "ResourceBusy",
    20: "ResourceExists",
    29: "LimitsExceeded",
}


def render_vm(v: VmInfo) -> str:
    name, code = _STATE[v.state]
    return cx.render(
        "vm",
        name=cx.encode_string(v.name),
        vm_id=v.vm_id,
        state_name=name,
        state_code=str(code),
        generation=str(v.generation),
        cpu_count=str(v.cpu_count),
        memory_bytes=str(v.memory_mb * 1024 * 1024),
        uptime=cx.timespan(v.uptime_s),
        notes=cx.s("Notes", v.notes),
        secure_boot=cx.b("SecureBoot", v.secure_boot),
    )


def render_slot(d: DiskSlot) -> str:
    ide = d.controller == "ide"
    return cx.render(
        "drive",
        drive_type="HardDiskDrive" if d.kind == "hdd" else "DvdDrive",
        path=cx.encode_string(d.path),
        controller_name="IDE" if ide else "SCSI",
        controller_code="0" if ide else "1",
        number=str(d.controller_number),
        location=str(d.location),
        kind=d.kind,
    )


def render_nic(n: NicInfo) -> str:
    return cx.render(
        "nic",
        name=cx.encode_string(n.name),
        mac=n.mac.replace(":", "").upper(),
        switch=cx.s("SwitchName", n.switch),
        vm_name=cx.encode_string(n.vm_name),
        vlan=cx.i32("AccessVlanId", n.vlan_id),
    )


def render_vhd(v: VhdInfo) -> str:
    fmt = {"vhd": ("VHD", 2), "vhdx": ("VHDX", 3)}[v.format.value]
    kind = {"fixed": ("Fixed", 2), "dynamic": ("Dynamic", 3), "differencing": ("Differencing", 4)}[
        v.vhd_type.value
    ]
    return cx.render(
        "vhd",
        path=cx.encode_string(v.path),
        format_name=fmt[0],
        format_code=str(fmt[1]),
        type_name=kind[0],
        type_code=str(kind[1]),
        size=str(v.size_bytes),
        file_size=str(v.file_size_bytes),
        parent=cx.s("ParentPath", v.parent_path),
        attached="true" if v.attached else "false",
    )


def render_entry(e: DirEntry) -> str:
    return cx.render(
        "dir_entry",
        info_type="DirectoryInfo" if e.is_dir else "FileInfo",
        name=cx.encode_string(e.name),
        is_dir="true" if e.is_dir else "false",
        length=str(e.size_bytes),
        modified=cx.dt_("LastWriteTimeUtc", e.modified_at),
        accessed=cx.dt_("LastAccessTimeUtc", e.accessed_at or e.modified_at),
    )


def render_checkpoint(c: CheckpointInfo) -> str:
    return cx.render(
        "checkpoint",
        name=cx.encode_string(c.name),
        vm_name=cx.encode_string(c.vm_name),
        created=cx.dt_("CreationTime", c.created_at),
        parent=cx.s("ParentSnapshotName", c.parent_name),
        disks=cx.string_array("DiskPaths", 1, list(c.disk_paths)),
    )


def custom(*props: str) -> str:
    return cx.render("pscustomobject", props="".join(props))


def render_error(err: WincloudError, *, cmdlet: str, name_attr: str = "") -> str:
    fq, category = "WincloudFailed", 7
    for cls, ident, cat in _ERROR_IDS:
        if isinstance(err, cls):
            fq, category = ident, cat
            break
    # the fake's messages start "<cmdlet> failed on fake: "; a script's own message does not
    text = re.sub(r"^\S+ failed on [^:]+: ", "", getattr(err, "message", str(err)))
    message = cx.encode_string(f"{fq}: {text}")  # as Stop-Wincloud writes it
    target = cx.encode_string(err.subject or "")
    cat_name = _CATEGORY_NAMES.get(category, "NotSpecified")
    return cx.render(
        "error_record",
        name_attr=name_attr,
        message=message,
        exception_type="System.InvalidOperationException",
        target=target,
        fq_error=fq,
        category=str(category),
        activity="",
        reason="InvalidOperationException",
        category_message=cx.encode_string(
            f"{cat_name}: ({err.subject or ''}:String) [], InvalidOperationException"
        ),
    )


class FakeBackend:
    """script name -> handler(params) -> rendered output objects."""

    def __init__(self, fake: FakeHost) -> None:
        self.fake = fake
        self._partials: dict[str, bytearray] = {}
        self.handlers: dict[str, Callable[[dict[str, Any]], list[str]]] = {
            "host_info": self._host_info,
            "list_switches": self._list_switches,
            "list_vms": self._list_vms,
            "create_vm": self._create_vm,
            "set_vm_state": self._set_vm_state,
            "remove_vm": lambda p: self._none(fake.remove_vm(p["Name"])),
            "attach_disk": lambda p: [
                render_slot(
                    fake.attach_disk(
                        p["VMName"], p["Path"], kind=p["Kind"], controller=p["Controller"]
                    )
                )
            ],
            "detach_disk": lambda p: self._none(fake.detach_disk(p["VMName"], p["Path"])),
            "list_disks": lambda p: [render_slot(d) for d in fake.list_disks(p["VMName"])],
            "add_nic": self._add_nic,
            "nic_port": self._nic_port,
            "list_nics": lambda p: [render_nic(n) for n in fake.list_nics(p["VMName"])],
            "new_vhd": self._new_vhd,
            "get_vhd": lambda p: [render_vhd(fake.get_vhd(p["Path"]))],
            "resize_vhd": lambda p: [render_vhd(fake.resize_vhd(p["Path"], p["SizeBytes"]))],
            "merge_vhd": lambda p: self._none(
                fake.merge_vhd(p["Path"], p.get("DestinationPath") or None)
            ),
            "set_vhd_parent": lambda p: [
                render_vhd(fake.set_vhd_parent(p["Path"], p["ParentPath"]))
            ],
            "file_exists": lambda p: [custom(cx.b("Exists", fake.file_exists(p["Path"])))],
            "remove_path": lambda p: self._none(fake.remove_path(p["Path"])),
            "make_dir": lambda p: self._none(fake.make_dir(p["Path"])),
            "list_dir": lambda p: [render_entry(e) for e in fake.list_dir(p["Path"])],
            "write_chunk": self._write_chunk,
            "finish_write": self._finish_write,
            "read_file": lambda p: [
                custom(
                    cx.ba(
                        "Data",
                        fake.read_file(
                            p["Path"], max_bytes=p.get("MaxBytes", 65536), offset=p.get("Offset", 0)
                        ),
                    )
                )
            ],
            "copy_file": lambda p: self._none(fake.copy_file(p["Path"], p["Destination"])),
            "set_com_pipe": lambda p: self._none(
                fake.set_com_pipe(p["VMName"], p["Number"], p["Pipe"])
            ),
            "read_console": lambda p: [
                custom(
                    cx.ba(
                        "Data", fake.read_console(p["VMName"], max_bytes=p.get("MaxBytes", 65536))
                    )
                )
            ],
            "checkpoint": self._checkpoint,
        }

    @staticmethod
    def _none(_: object) -> list[str]:
        return []

    def _host_info(self, p: dict[str, Any]) -> list[str]:
        h = self.fake.host_info()
        gib = 1024**3
        return [
            cx.render(
                "host_info",
                hostname=cx.encode_string(h.hostname),
                caption=cx.encode_string(h.os_caption),
                version=h.os_version,
                build=str(h.os_build),
                cpus=str(h.logical_processors),
                total_kb=str(h.memory_mb_total * 1024),
                free_kb=str(h.memory_mb_free * 1024),
                instances_path=cx.encode_string(p.get("InstancesPath") or h.instances_path),
                disk_total=str(int(h.disk_gb_total * gib)),
                disk_free=str(int(h.disk_gb_free * gib)),
                hyperv_version=h.hyperv_version,
            )
        ]

    def _list_switches(self, p: dict[str, Any]) -> list[str]:
        return [
            cx.render(
                "switch",
                name=cx.encode_string(sw.name),
                switch_type=sw.switch_type,
                extensions=cx.string_array("Extensions", 1, list(sw.extensions_enabled)),
            )
            for sw in self.fake.list_switches()
        ]

    def _list_vms(self, p: dict[str, Any]) -> list[str]:
        vms = self.fake.list_vms()
        if p.get("Name"):
            vms = [v for v in vms if v.name.casefold() == p["Name"].casefold()]
        return [render_vm(v) for v in vms]

    def _create_vm(self, p: dict[str, Any]) -> list[str]:
        spec = VmSpec(
            p["Name"],
            generation=p["Generation"],
            cpu_count=p["ProcessorCount"],
            memory_mb=p["MemoryBytes"] // (1024 * 1024),
            secure_boot=p["SecureBoot"],
            notes=p.get("Notes", ""),
            path=p.get("Path") or None,
        )
        return [render_vm(self.fake.create_vm(spec))]

    def _set_vm_state(self, p: dict[str, Any]) -> list[str]:
        info = self.fake.set_vm_state(
            p["Name"], VmAction(p["Action"]), timeout_s=p.get("TimeoutSeconds", 120)
        )
        return [render_vm(info)]

    def _add_nic(self, p: dict[str, Any]) -> list[str]:
        return [
            render_nic(
                self.fake.add_nic(
                    p["VMName"],
                    p["NicName"],
                    mac=p.get("Mac") or None,
                    switch=p.get("Switch") or None,
                )
            )
        ]

    def _nic_port(self, p: dict[str, Any]) -> list[str]:
        vm, nic, action = p["VMName"], p["NicName"], p["Action"]
        if action == "connect":
            self.fake.connect_nic(vm, nic, p["Switch"])
        elif action == "disconnect":
            self.fake.disconnect_nic(vm, nic)
        elif action == "remove":
            self.fake.remove_nic(vm, nic)
        elif action == "vlan":
            self.fake.set_port_vlan(vm, nic, p.get("VlanId") or None)
        else:
            raise ConfigError(f"unknown action '{action}'", subject=action)
        return []

    def _new_vhd(self, p: dict[str, Any]) -> list[str]:
        if p.get("ParentPath"):
            return [render_vhd(self.fake.new_diff_vhd(p["ParentPath"], p["Path"]))]
        fmt = "vhdx" if p["Path"].lower().endswith(".vhdx") else "vhd"
        from wincloud.hyperv.host import VhdFormat

        return [
            render_vhd(
                self.fake.new_vhd(
                    p["Path"], p["SizeBytes"], fmt=VhdFormat(fmt), dynamic=p.get("Dynamic", True)
                )
            )
        ]

    def _write_chunk(self, p: dict[str, Any]) -> list[str]:
        # the partial file lives on the fake's volume like the real one does on the host
        path, data = p["Path"], p.get("Data") or b""
        if not p.get("Append"):
            self.fake.write_file(path, [data])
            return [custom(cx.i64("Length", len(data)))]
        # append in place (the fake's volume is ours to touch here; rewriting would be O(n^2))
        from wincloud.hyperv.fake._fs import key

        held = self.fake._volume.files[key(path)].data
        held += data
        return [custom(cx.i64("Length", len(held)))]

    def _finish_write(self, p: dict[str, Any]) -> list[str]:
        partial, path = p["Partial"], p["Path"]
        if p.get("Discard"):
            self.fake.remove_path(partial)
            return []
        data = self.fake.read_file(partial, max_bytes=1 << 40)
        try:
            self.fake.write_file(path, [data])
        finally:
            self.fake.remove_path(partial)
        return []

    def _checkpoint(self, p: dict[str, Any]) -> list[str]:
        vm, action = p["VMName"], p["Action"]
        if action == "create":
            return [render_checkpoint(self.fake.create_checkpoint(vm, p["Name"]))]
        if action == "remove":
            self.fake.remove_checkpoint(vm, p["Name"])
            return []
        return [render_checkpoint(c) for c in self.fake.list_checkpoints(vm)]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
