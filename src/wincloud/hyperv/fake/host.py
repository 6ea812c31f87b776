"""FakeHost: a stateful Hyper-V host in memory, enforcing the rules in ``rules.py``.

Beyond the ``HyperVHost`` Protocol it has test hooks a real host has no equivalent for:
``add_switch``, ``guest_write_console`` (the guest writes to COM1), ``set_guest_shutdown``
(the guest ignores shutdown requests), ``set_memory_free``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostTimeout,
    InsufficientHostResources,
    InvalidVmState,
    PathInUse,
)
from wincloud.hyperv.fake._devices import FakeDevices
from wincloud.hyperv.fake._fs import FakeVolume, key, norm
from wincloud.hyperv.fake._iscsi import FakeIscsi
from wincloud.hyperv.fake._ports import FakePorts
from wincloud.hyperv.fake._state import FakeVm
from wincloud.hyperv.fake._storage import GIB
from wincloud.hyperv.fake.rules import cite
from wincloud.hyperv.host import (
    HostInfo,
    SwitchInfo,
    VmAction,
    VmInfo,
    VmSpec,
    VmState,
)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FakeHost(FakeIscsi, FakePorts, FakeDevices):
    def __init__(
        self,
        name: str = "fake",
        *,
        hostname: str = "HV-FAKE01",
        memory_mb_total: int = 65536,
        host_reserve_mb: int = 4096,
        logical_processors: int = 16,
        disk_gb: int = 500,
        instances_path: str = "C:\\Hyper-V",
        switches: Iterable[SwitchInfo] = (SwitchInfo("external", "External"),),
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.name = name
        self.hostname = hostname
        self.memory_mb_total = memory_mb_total
        self.host_reserve_mb = host_reserve_mb
        self.logical_processors = logical_processors
        self.instances_path = norm(instances_path)
        self._clock = clock
        self._volume = FakeVolume(capacity_bytes=disk_gb * GIB)
        self._volume.make_dirs(self.instances_path)
        self._switches: dict[str, SwitchInfo] = {s.name.casefold(): s for s in switches}
        self._vms: dict[str, FakeVm] = {}
        self._mac_seq = 0
        self.closed = False

    # ---- test hooks -------------------------------------------------------------------------
    def add_switch(self, switch: SwitchInfo) -> None:
        self._switches[switch.name.casefold()] = switch

    def guest_write_console(self, vm: str, data: bytes) -> None:
        """The guest writes ``data`` to COM1 (kept only while the VM runs with a pipe set)."""
        v = self._vm(vm, "guest")
        if v.active and 1 in v.com:
            v.console += data

    def set_guest_shutdown(self, vm: str, *, responds: bool) -> None:
        self._vm(vm, "guest").guest_shuts_down = responds

    def set_memory_free(self, memory_mb_free: int) -> None:
        """Pretend other tenants use memory: adjust the reserve so ``memory_mb_free`` is free."""
        used = self._used_memory_mb()
        self.host_reserve_mb = max(0, self.memory_mb_total - used - memory_mb_free)

    # ---- Protocol: host facts ---------------------------------------------------------------
    def close(self) -> None:
        self.closed = True

    def _used_memory_mb(self) -> int:
        return sum(v.memory_mb for v in self._vms.values() if v.active)

    def host_info(self) -> HostInfo:
        free = self.memory_mb_total - self.host_reserve_mb - self._used_memory_mb()
        return HostInfo(
            hostname=self.hostname,
            os_version="10.0.20348",
            os_build=20348,
            logical_processors=self.logical_processors,
            memory_mb_total=self.memory_mb_total,
            memory_mb_free=max(0, free),
            disk_gb_total=round(self._volume.capacity_bytes / GIB, 2),
            disk_gb_free=round(self._volume.free_bytes() / GIB, 2),
            instances_path=self.instances_path,
            hyperv_version="10.0.20348.1",
            os_caption="Microsoft Windows Server 2022 Datacenter",
        )

    def list_switches(self) -> list[SwitchInfo]:
        return sorted(self._switches.values(), key=lambda s: s.name.casefold())

    # ---- Protocol: VMs ----------------------------------------------------------------------
    def _vm_info(self, v: FakeVm) -> VmInfo:
        uptime = 0.0
        if v.active and v.started_at is not None:
            uptime = max(0.0, (self._clock() - v.started_at).total_seconds())
        return VmInfo(
            name=v.name,
            vm_id=v.vm_id,
            state=v.state,
            generation=v.generation,
            cpu_count=v.cpu_count,
            memory_mb=v.memory_mb,
            uptime_s=uptime,
            notes=v.notes,
            secure_boot=v.secure_boot if v.generation == 2 else None,
        )

    def list_vms(self) -> list[VmInfo]:
        return [self._vm_info(v) for v in sorted(self._vms.values(), key=lambda v: v.name)]

    def find_vm(self, name: str) -> VmInfo | None:
        v = self._vms.get(name.casefold())
        return self._vm_info(v) if v is not None else None

    def create_vm(self, spec: VmSpec) -> VmInfo:
        cmdlet = "New-VM"
        if spec.generation not in (1, 2):
            raise ConfigError(
                "generation must be 1 or 2",
                subject=f"{spec.name}.generation",
                hint=cite("vm.generation"),
            )
        if spec.secure_boot and spec.generation == 1:
            raise ConfigError(
                "Secure Boot needs a generation 2 VM",
                subject=f"{spec.name}.secure_boot",
                hint=cite("vm.secure-boot-gen2"),
            )
        if spec.cpu_count < 1 or spec.cpu_count > self.logical_processors:
            raise ConfigError(
                f"cpu_count must be 1..{self.logical_processors}", subject=f"{spec.name}.cpu_count"
            )
        if spec.memory_mb < 32 or spec.memory_mb % 2:
            raise ConfigError(
                "memory_mb must be an even number >= 32", subject=f"{spec.name}.memory_mb"
            )
        if not spec.name or len(spec.name) > 100:
            raise ConfigError("a VM name has 1..100 characters", subject=spec.name)
        if spec.name.casefold() in self._vms:
            raise self._error(
                HostObjectExists,
                "a virtual machine of that name exists",
                cmdlet=cmdlet,
                rule="vm.name-unique",
                subject=spec.name,
            )
        v = FakeVm(
            name=spec.name,
            vm_id=str(uuid.uuid4()),
            generation=spec.generation,
            cpu_count=spec.cpu_count,
            memory_mb=spec.memory_mb,
            secure_boot=spec.secure_boot and spec.generation == 2,
            notes=spec.notes,
            path=norm(spec.path) if spec.path else self.instances_path,
        )
        self._vms[spec.name.casefold()] = v
        return self._vm_info(v)

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
        v = self._vm(name, cmdlet)
        s = v.state

        def refuse(rule: str) -> InvalidVmState:
            return InvalidVmState(
                f"{cmdlet} failed on {self.name}: the VM is {s.value}",
                host=self.name,
                cmdlet=cmdlet,
                detail=cite(rule),
                subject=v.name,
            )

        if action is VmAction.START:
            if s is VmState.RUNNING:
                return self._vm_info(v)
            if s not in (VmState.OFF, VmState.SAVED):
                raise refuse("vm.start-from")
            self._check_can_start(v)
            v.state, v.started_at = VmState.RUNNING, self._clock()
        elif action is VmAction.STOP:
            if s in (VmState.RUNNING, VmState.PAUSED, VmState.SAVED):
                v.state, v.started_at = VmState.OFF, None
            elif s is not VmState.OFF:
                raise refuse("vm.turnoff")
        elif action is VmAction.SHUTDOWN:
            if s is VmState.OFF:
                return self._vm_info(v)
            if s is not VmState.RUNNING:
                raise refuse("vm.shutdown")
            if not v.guest_shuts_down:
                raise HostTimeout(
                    f"{cmdlet} failed on {self.name}: the guest did not shut down in "
                    f"{timeout_s:g} s",
                    host=self.name,
                    cmdlet=cmdlet,
                    subject=v.name,
                    detail=cite("vm.shutdown"),
                    hint="turn it off (stop) instead",
                )
            v.state, v.started_at = VmState.OFF, None
        elif action is VmAction.SAVE:
            if s not in (VmState.RUNNING, VmState.PAUSED):
                raise refuse("vm.save")
            v.state = VmState.SAVED
        elif action is VmAction.PAUSE:
            if s is not VmState.RUNNING:
                raise refuse("vm.pause")
            v.state = VmState.PAUSED
        elif action is VmAction.RESUME:
            if s is not VmState.PAUSED:
                raise refuse("vm.resume")
            v.state = VmState.RUNNING
        elif action is VmAction.RESET:
            if s is not VmState.RUNNING:
                raise refuse("vm.reset")
            v.started_at = self._clock()
        return self._vm_info(v)

    def _check_can_start(self, v: FakeVm) -> None:
        free = self.memory_mb_total - self.host_reserve_mb - self._used_memory_mb()
        if v.memory_mb > free:
            raise InsufficientHostResources(
                f"Start-VM failed on {self.name}: not enough memory ({v.memory_mb} MB needed, "
                f"{free} MB free)",
                host=self.name,
                cmdlet="Start-VM",
                subject=v.name,
                detail=cite("vm.start-memory"),
            )
        for slot in v.slots:
            if slot.kind != "hdd":
                continue
            for k in self._chain(slot.path):
                if k not in self._volume.files:
                    raise HostObjectNotFound(
                        f"Start-VM failed on {self.name}: a disk of the VM is missing",
                        host=self.name,
                        cmdlet="Start-VM",
                        subject=k,
                        detail=cite("vm.start-disks"),
                    )
                f = self._volume.files[k]
                if f.vhd is not None and not f.vhd.valid:
                    raise self._error(
                        PathInUse,
                        "a disk of the VM was merged away",
                        cmdlet="Start-VM",
                        rule="vm.start-disks",
                        subject=f.path,
                    )

    def remove_vm(self, name: str) -> None:
        v = self._vm(name, "Remove-VM")
        if v.state is not VmState.OFF:
            raise InvalidVmState(
                f"Remove-VM failed on {self.name}: the VM is {v.state.value}",
                host=self.name,
                cmdlet="Remove-VM",
                subject=v.name,
                detail=cite("vm.remove-off"),
                hint="turn it off first",
            )
        for ck in list(reversed(v.checkpoints)):
            self._merge_checkpoint(v, ck)
        del self._vms[v.name.casefold()]

    # ---- open files (for FakeStorage) -------------------------------------------------------
    def _open_keys(self) -> set[str]:
        out: set[str] = set()
        for v in self._vms.values():
            if v.active:
                for slot in v.slots:
                    out.update(self._chain(slot.path))
        return out

    def _attached_keys(self) -> set[str]:
        return {key(s.path) for v in self._vms.values() for s in v.slots}

    def _online_resizable(self, path: str, rec: object) -> bool:
        k = key(path)
        for v in self._vms.values():
            for s in v.slots:
                if key(s.path) == k:
                    return s.controller == "scsi"
        return False
