"""The VM-attached half of FakeHost: disk drives, NICs and vSwitch ports, COM ports and the
console log, checkpoints."""

from __future__ import annotations

import re
import uuid

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    InvalidVmState,
    PathInUse,
    VmNotFound,
)
from wincloud.hyperv.fake._files import FakeFiles
from wincloud.hyperv.fake._fs import FakeFile, VhdRecord, key, norm
from wincloud.hyperv.fake._state import FakeCheckpoint, FakeNic, FakeVm
from wincloud.hyperv.fake._storage import MIB
from wincloud.hyperv.fake.rules import cite
from wincloud.hyperv.host import (
    CheckpointInfo,
    Controller,
    DiskKind,
    DiskSlot,
    NicInfo,
    SwitchInfo,
    VhdType,
    VmState,
)

_SLOTS = {"ide": (2, 2), "scsi": (4, 64)}  # controllers, locations per controller
_MAC = re.compile(r"^[0-9a-f]{12}$")


def normalize_mac(mac: str) -> str:
    """``00-15-5D-01-02-03`` | ``00155D010203`` | ``00:15:5d:01:02:03`` -> ``00:15:5d:01:02:03``."""
    digits = re.sub(r"[-:.]", "", mac).lower()
    if not _MAC.match(digits) or int(digits[1], 16) & 1:
        raise ConfigError("not a unicast MAC address", subject=mac, hint=cite("nic.mac"))
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class FakeDevices(FakeFiles):
    _vms: dict[str, FakeVm]
    _switches: dict[str, SwitchInfo]
    _mac_seq: int

    def _vm(self, name: str, cmdlet: str) -> FakeVm:
        v = self._vms.get(name.casefold())
        if v is None:
            raise VmNotFound(
                f"{cmdlet} failed on {self.name}: no virtual machine of that name",
                host=self.name,
                cmdlet=cmdlet,
                subject=name,
            )
        return v

    def _refuse_state(self, v: FakeVm, cmdlet: str, rule: str, hint: str | None = None) -> None:
        raise InvalidVmState(
            f"{cmdlet} failed on {self.name}: the VM is {v.state.value}",
            host=self.name,
            cmdlet=cmdlet,
            detail=cite(rule),
            subject=v.name,
            hint=hint,
        )

    # ---- disk drives ------------------------------------------------------------------------
    def attach_disk(
        self, vm: str, path: str, *, kind: DiskKind = "hdd", controller: Controller = "scsi"
    ) -> DiskSlot:
        cmdlet = "Add-VMHardDiskDrive" if kind == "hdd" else "Add-VMDvdDrive"
        v = self._vm(vm, cmdlet)
        if kind not in ("hdd", "dvd") or controller not in _SLOTS:
            raise ConfigError(
                "kind is hdd|dvd and controller ide|scsi", subject=f"{kind}/{controller}"
            )
        if controller == "ide" and v.generation == 2:
            raise self._error(
                HostOperationFailed,
                "generation 2 VMs have no IDE controller",
                cmdlet=cmdlet,
                rule="disk.gen2-no-ide",
                subject=v.name,
            )
        if kind == "dvd" and controller == "scsi" and v.generation == 1:
            raise self._error(
                HostOperationFailed,
                "generation 1 VMs take DVD drives on IDE",
                cmdlet=cmdlet,
                rule="disk.gen1-dvd-ide",
                subject=v.name,
            )
        if controller == "ide" and v.state is not VmState.OFF:
            self._refuse_state(v, cmdlet, "disk.ide-offline")
        f = self._file(path, cmdlet)
        if key(path) in self._attached_keys():
            raise self._error(
                PathInUse,
                "the file is already attached to a VM",
                cmdlet=cmdlet,
                rule="disk.attached-once",
                subject=f.path,
            )
        if kind == "hdd":
            self._vhd_of(f, cmdlet)  # must be a valid virtual disk
            if self._children(f.path):
                raise self._error(
                    PathInUse,
                    "the disk is the parent of another disk",
                    cmdlet=cmdlet,
                    rule="disk.no-parent-attach",
                    subject=f.path,
                )
        taken = {(s.controller_number, s.location) for s in v.slots if s.controller == controller}
        controllers, locations = _SLOTS[controller]
        free = [
            (c, loc)
            for c in range(controllers)
            for loc in range(locations)
            if (c, loc) not in taken
        ]
        if not free:
            raise self._error(
                HostOperationFailed,
                f"no free {controller} location",
                cmdlet=cmdlet,
                rule="disk.ide-slots",
                subject=v.name,
            )
        slot = DiskSlot(f.path, kind, controller, free[0][0], free[0][1])
        v.slots.append(slot)
        return slot

    def detach_disk(self, vm: str, path: str) -> None:
        v = self._vm(vm, "Remove-VMHardDiskDrive")
        for i, s in enumerate(v.slots):
            if key(s.path) == key(path):
                cmdlet = "Remove-VMHardDiskDrive" if s.kind == "hdd" else "Remove-VMDvdDrive"
                if s.controller == "ide" and v.state is not VmState.OFF:
                    self._refuse_state(v, cmdlet, "disk.ide-offline")
                del v.slots[i]
                return
        raise self._error(
            HostObjectNotFound,
            "no drive of the VM holds that path",
            cmdlet="Remove-VMHardDiskDrive",
            subject=norm(path),
        )

    def list_disks(self, vm: str) -> list[DiskSlot]:
        v = self._vm(vm, "Get-VMHardDiskDrive")
        return sorted(v.slots, key=lambda s: (s.controller, s.controller_number, s.location))

    # ---- NICs and ports ---------------------------------------------------------------------
    def _switch(self, name: str, cmdlet: str) -> str:
        sw = self._switches.get(name.casefold())
        if sw is None:
            raise self._error(
                HostObjectNotFound,
                "no virtual switch of that name",
                cmdlet=cmdlet,
                rule="nic.switch-exists",
                subject=name,
            )
        return sw.name

    def _nic(self, v: FakeVm, nic_name: str, cmdlet: str) -> FakeNic:
        n = v.nics.get(nic_name.casefold())
        if n is None:
            raise self._error(
                HostObjectNotFound,
                f"VM {v.name} has no network adapter of that name",
                cmdlet=cmdlet,
                subject=nic_name,
            )
        return n

    def _nic_info(self, v: FakeVm, n: FakeNic) -> NicInfo:
        return NicInfo(n.name, n.mac, n.switch, n.vlan_id, v.name)

    def add_nic(
        self, vm: str, nic_name: str, *, mac: str | None = None, switch: str | None = None
    ) -> NicInfo:
        cmdlet = "Add-VMNetworkAdapter"
        v = self._vm(vm, cmdlet)
        if v.active and v.generation == 1:
            self._refuse_state(v, cmdlet, "nic.hot-add-gen2")
        if nic_name.casefold() in v.nics:
            raise self._error(
                HostObjectExists,
                f"VM {v.name} has a network adapter of that name",
                cmdlet=cmdlet,
                rule="nic.name-unique",
                subject=nic_name,
            )
        sw = self._switch(switch, cmdlet) if switch is not None else None
        if mac is None:
            self._mac_seq += 1
            mac = f"00155d{self._mac_seq:06x}"
        n = FakeNic(nic_name, normalize_mac(mac), sw)
        v.nics[nic_name.casefold()] = n
        return self._nic_info(v, n)

    def connect_nic(self, vm: str, nic_name: str, switch: str) -> None:
        v = self._vm(vm, "Connect-VMNetworkAdapter")
        n = self._nic(v, nic_name, "Connect-VMNetworkAdapter")
        n.switch = self._switch(switch, "Connect-VMNetworkAdapter")

    def disconnect_nic(self, vm: str, nic_name: str) -> None:
        v = self._vm(vm, "Disconnect-VMNetworkAdapter")
        self._nic(v, nic_name, "Disconnect-VMNetworkAdapter").switch = None

    def remove_nic(self, vm: str, nic_name: str) -> None:
        cmdlet = "Remove-VMNetworkAdapter"
        v = self._vm(vm, cmdlet)
        self._nic(v, nic_name, cmdlet)
        if v.active and v.generation == 1:
            self._refuse_state(v, cmdlet, "nic.hot-add-gen2")
        del v.nics[nic_name.casefold()]

    def list_nics(self, vm: str) -> list[NicInfo]:
        v = self._vm(vm, "Get-VMNetworkAdapter")
        return [self._nic_info(v, n) for n in v.nics.values()]

    def set_port_vlan(self, vm: str, nic_name: str, vlan_id: int | None) -> None:
        cmdlet = "Set-VMNetworkAdapterVlan"
        v = self._vm(vm, cmdlet)
        n = self._nic(v, nic_name, cmdlet)
        if vlan_id is not None and not 1 <= vlan_id <= 4094:
            raise ConfigError(
                "a VLAN id is 1..4094",
                subject=f"{v.name}/{nic_name} vlan_id",
                hint=cite("nic.vlan-range"),
            )
        n.vlan_id = vlan_id

    # ---- serial console ---------------------------------------------------------------------
    def set_com_pipe(self, vm: str, port: int, pipe: str) -> None:
        cmdlet = "Set-VMComPort"
        v = self._vm(vm, cmdlet)
        if port not in (1, 2):
            raise ConfigError(
                "a COM port is 1 or 2", subject=f"{v.name} port={port}", hint=cite("com.ports")
            )
        if not pipe or any(c in pipe for c in "\r\n\x00"):
            raise ConfigError("not a pipe name", subject=pipe)
        if v.state is not VmState.OFF:
            self._refuse_state(v, cmdlet, "com.set-off")
        name = pipe.rpartition("\\")[2]
        v.com[port] = f"\\\\.\\pipe\\{name}"

    def read_console(self, vm: str, *, max_bytes: int) -> bytes:
        v = self._vm(vm, "Get-Content")
        if max_bytes <= 0:
            return b""
        return bytes(v.console[-max_bytes:])

    # ---- checkpoints ------------------------------------------------------------------------
    def _ckpt_info(self, v: FakeVm, c: FakeCheckpoint) -> CheckpointInfo:
        return CheckpointInfo(
            c.name, v.name, c.created_at, c.parent_name, tuple(old for _, old, _ in c.redirects)
        )

    def create_checkpoint(self, vm: str, name: str) -> CheckpointInfo:
        cmdlet = "Checkpoint-VM"
        v = self._vm(vm, cmdlet)
        if any(c.name.casefold() == name.casefold() for c in v.checkpoints):
            raise self._error(
                HostObjectExists,
                f"VM {v.name} has a checkpoint of that name",
                cmdlet=cmdlet,
                rule="ckpt.name-unique",
                subject=name,
            )
        ck = FakeCheckpoint(name, self._clock(), v.checkpoints[-1].name if v.checkpoints else None)
        for i, s in enumerate(v.slots):
            if s.kind != "hdd":
                continue
            f = self._file(s.path, cmdlet)
            rec = self._vhd_of(f, cmdlet)
            stem, _, ext = f.path.rpartition(".")
            ext = ext.lstrip("aA")
            new = f"{stem}_{str(uuid.uuid4()).upper()}.a{ext}"
            avhd = VhdRecord(
                rec.format, VhdType.DIFFERENCING, rec.size_bytes, 4 * MIB, parent_key=key(f.path)
            )
            self._volume.files[key(new)] = FakeFile(new, vhd=avhd, modified_at=self._clock())
            v.slots[i] = DiskSlot(new, s.kind, s.controller, s.controller_number, s.location)
            ck.redirects.append((i, f.path, new))
        v.checkpoints.append(ck)
        return self._ckpt_info(v, ck)

    def _merge_checkpoint(self, v: FakeVm, ck: FakeCheckpoint) -> None:
        """Fold ck's .avhdx back: children of each avhdx get its parent; the drive moves too."""
        for i, old, new in ck.redirects:
            nk, ok = key(new), key(old)
            for f in self._volume.files.values():
                if f.vhd is not None and f.vhd.parent_key == nk:
                    f.vhd.parent_key = ok
            if i < len(v.slots) and key(v.slots[i].path) == nk:
                s = v.slots[i]
                v.slots[i] = DiskSlot(old, s.kind, s.controller, s.controller_number, s.location)
            self._volume.files.pop(nk, None)
        idx = v.checkpoints.index(ck)
        for later in v.checkpoints[idx + 1 :]:
            if later.parent_name == ck.name:
                later.parent_name = ck.parent_name
        v.checkpoints.remove(ck)

    def remove_checkpoint(self, vm: str, name: str) -> None:
        cmdlet = "Remove-VMSnapshot"
        v = self._vm(vm, cmdlet)
        for ck in v.checkpoints:
            if ck.name.casefold() == name.casefold():
                self._merge_checkpoint(v, ck)
                return
        raise self._error(
            HostObjectNotFound,
            f"VM {v.name} has no checkpoint of that name",
            cmdlet=cmdlet,
            subject=name,
        )

    def list_checkpoints(self, vm: str) -> list[CheckpointInfo]:
        v = self._vm(vm, "Get-VMSnapshot")
        return [self._ckpt_info(v, c) for c in v.checkpoints]
