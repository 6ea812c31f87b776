"""The host side of each Nova operation, as runbook steps over ``HyperVHost`` (no Nova import).

``HyperVDriver`` (driver.py) translates Nova's objects into ``plan`` records and calls one method
here per step, so each driver method still reads as look up, check, act, clean up. Every method is
safe to repeat: a second ``destroy`` finds nothing and does nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

from wincloud.errors import ConfigError, HostTimeout, InvalidVmState, VmNotFound
from wincloud.hyperv.host import HostInfo, HyperVHost, VhdFormat, VmAction, VmInfo, VmSpec, VmState
from wincloud.hyperv.nova.plan import (
    CONSOLE_MAX_BYTES,
    DriverSettings,
    InstancePaths,
    VmPlan,
    join,
    root_size,
)

log = logging.getLogger(__name__)

_MAX_CHAIN = 64


class InstanceOps:
    def __init__(self, host: HyperVHost, settings: DriverSettings) -> None:
        self.host = host
        self.settings = settings
        self._instances_path: str | None = settings.instances_path

    # ---- the host ------------------------------------------------------------------------
    def check_host(self) -> HostInfo:
        """The host answers and has the configured vSwitch; returns its facts."""
        info = self.host.host_info()
        switches = {s.name.casefold(): s for s in self.host.list_switches()}
        if self.settings.vswitch.casefold() not in switches:
            raise ConfigError(
                f"virtual switch {self.settings.vswitch!r} not found on host {self.host.name}",
                subject="[hyperv] vswitch_name",
                hint="create it (New-VMSwitch) or set vswitch_name to one of: "
                + (", ".join(s.name for s in switches.values()) or "(none)"),
            )
        if self._instances_path is None:
            self._instances_path = info.instances_path
        return info

    @property
    def instances_path(self) -> str:
        if self._instances_path is None:
            self._instances_path = self.host.host_info().instances_path
        return self._instances_path

    def paths(self, name: str) -> InstancePaths:
        return InstancePaths(self.instances_path, name)

    # ---- spawn ---------------------------------------------------------------------------
    def create_vm(self, plan: VmPlan, base_path: str) -> VmInfo:
        """The VM with its differencing root over the cached base, ephemerals and COM1 pipe.
        The VM stays off; NICs and the config drive come next."""
        base = self.host.get_vhd(base_path)
        size = root_size(plan.root_gb, base.size_bytes, image_id=base_path)
        self.host.make_dir(plan.paths.directory)
        vm = self.host.create_vm(
            VmSpec(
                name=plan.name,
                generation=plan.generation,
                cpu_count=plan.cpu_count,
                memory_mb=plan.memory_mb,
                secure_boot=plan.secure_boot,
                notes=plan.instance_uuid,
                path=plan.paths.directory,
            )
        )
        self.host.new_diff_vhd(base_path, plan.root_path)
        if size is not None:
            self.host.resize_vhd(plan.root_path, size)
        self.host.attach_disk(
            plan.name, plan.root_path, kind="hdd", controller=plan.disk_controller
        )
        for disk in plan.ephemerals:
            self.host.new_vhd(disk.path, disk.size_bytes, fmt=VhdFormat.VHDX, dynamic=True)
            self.host.attach_disk(plan.name, disk.path, kind="hdd", controller="scsi")
        self.host.set_com_pipe(plan.name, 1, plan.console_pipe)
        return vm

    def attach_config_drive(self, plan: VmPlan, iso: Iterable[bytes]) -> None:
        self.host.write_file(plan.paths.config_drive, iso)
        self.host.attach_disk(
            plan.name, plan.paths.config_drive, kind="dvd", controller=plan.disk_controller
        )

    def add_nics(self, plan: VmPlan) -> None:
        """One NIC per Neutron port, named by the port id, on the configured vSwitch."""
        existing = {n.name for n in self.host.list_nics(plan.name)}
        for nic in plan.nics:
            if nic.port_id not in existing:
                self.host.add_nic(plan.name, nic.port_id, mac=nic.mac, switch=plan.switch)

    @contextlib.contextmanager
    def removed_on_failure(self, name: str) -> Iterator[None]:
        """Whatever the block created for ``name`` is destroyed if the block raises."""
        done = False
        try:
            yield
            done = True
        finally:
            if not done:
                log.warning("spawn failed, removing what it created vm=%s", name)
                self.destroy(name)

    # ---- destroy -------------------------------------------------------------------------
    def destroy(self, name: str, *, keep_files: bool = False) -> None:
        """Turn the VM off and remove it, then its folder unless ``keep_files`` (Nova's
        destroy_disks=False). Absent parts are fine."""
        vm = self.host.find_vm(name)
        if vm is not None:
            if vm.state != VmState.OFF:
                self.host.set_vm_state(name, VmAction.STOP)
            for checkpoint in reversed(self.host.list_checkpoints(name)):
                self.host.remove_checkpoint(name, checkpoint.name)
            self.host.remove_vm(name)
        if not keep_files:
            self.host.remove_path(self.paths(name).directory)
        log.info(
            "instance destroyed vm=%s existed=%s files_kept=%s", name, vm is not None, keep_files
        )

    # ---- power ---------------------------------------------------------------------------
    def state(self, name: str) -> VmInfo:
        vm = self.host.find_vm(name)
        if vm is None:
            raise VmNotFound("no such VM", host=self.host.name, subject=name)
        return vm

    def power_on(self, name: str) -> VmInfo:
        vm = self.state(name)
        if vm.state == VmState.RUNNING:
            return vm
        if vm.state == VmState.PAUSED:
            return self.host.set_vm_state(name, VmAction.RESUME)
        return self.host.set_vm_state(name, VmAction.START)

    def power_off(self, name: str, timeout_s: float) -> VmInfo:
        """Ask the guest to shut down for up to ``timeout_s``, then turn it off (0: at once)."""
        vm = self.state(name)
        if vm.state == VmState.OFF:
            return vm
        if timeout_s > 0 and vm.state == VmState.RUNNING:
            try:
                return self.host.set_vm_state(name, VmAction.SHUTDOWN, timeout_s=timeout_s)
            except (HostTimeout, InvalidVmState) as exc:
                log.warning("guest shutdown failed, turning off vm=%s reason=%s", name, exc)
        return self.host.set_vm_state(name, VmAction.STOP)

    def reboot(self, name: str, *, hard: bool, timeout_s: float) -> VmInfo:
        """Soft: guest shutdown then start (hard reset if the guest does not comply).
        Hard: reset a running VM, start any other."""
        vm = self.state(name)
        if vm.state != VmState.RUNNING:
            return self.power_on(name)
        if not hard:
            try:
                self.host.set_vm_state(name, VmAction.SHUTDOWN, timeout_s=timeout_s)
                return self.host.set_vm_state(name, VmAction.START)
            except (HostTimeout, InvalidVmState) as exc:
                log.warning("soft reboot failed, resetting vm=%s reason=%s", name, exc)
            if self.state(name).state != VmState.RUNNING:
                return self.host.set_vm_state(name, VmAction.START)
        return self.host.set_vm_state(name, VmAction.RESET)

    def pause(self, name: str) -> VmInfo:
        return self.host.set_vm_state(name, VmAction.PAUSE)

    def unpause(self, name: str) -> VmInfo:
        return self.host.set_vm_state(name, VmAction.RESUME)

    def suspend(self, name: str) -> VmInfo:
        """Save the VM's memory to disk (Save-VM); ``resume`` starts it from there."""
        return self.host.set_vm_state(name, VmAction.SAVE)

    def console(self, name: str) -> bytes:
        self.state(name)
        return self.host.read_console(name, max_bytes=CONSOLE_MAX_BYTES)

    # ---- snapshot ------------------------------------------------------------------------
    def snapshot(self, name: str, checkpoint: str) -> str:
        """A standalone copy of the root disk, merged with its base, in the instance's snapshot
        folder: checkpoint (the root disk stops changing), copy root and base, point the copy
        at the copied base, merge, drop the checkpoint. Returns the merged disk's path."""
        paths = self.paths(name)
        root = self.root_disk(name)
        parent = self.host.get_vhd(root).parent_path
        self.host.remove_path(paths.snapshots)
        self.host.make_dir(paths.snapshots)
        self.host.create_checkpoint(name, checkpoint)
        try:
            root_copy = join(paths.snapshots, _basename(root))
            self.host.copy_file(root, root_copy)
            if parent is None:
                return root_copy
            image = join(paths.snapshots, "image" + _extension(parent))
            self.host.copy_file(parent, image)
            self.host.set_vhd_parent(root_copy, image)
            self.host.merge_vhd(root_copy, image)
            return image
        finally:
            self.host.remove_checkpoint(name, checkpoint)

    def read_chunks(self, path: str) -> Iterator[bytes]:
        """A host file as chunks of ``settings.chunk_bytes`` (for uploads to Glance)."""
        size = self.host.get_vhd(path).file_size_bytes
        offset = 0
        while offset < size:
            chunk = self.host.read_file(
                path, max_bytes=min(self.settings.chunk_bytes, size - offset), offset=offset
            )
            if not chunk:
                break
            offset += len(chunk)
            yield chunk

    def root_disk(self, name: str) -> str:
        """The instance's root disk (``root.vhd[x]`` in its folder), below any checkpoint."""
        directory = self.paths(name).directory.casefold()
        for slot in self.host.list_disks(name):
            path = slot.path
            if slot.kind == "hdd" and path.casefold().startswith(directory):
                for _ in range(_MAX_CHAIN):  # checkpoints add .avhdx children above root
                    parent = self.host.get_vhd(path).parent_path
                    if _basename(path).casefold().split(".")[0] == "root" or parent is None:
                        break
                    path = parent
                return path
        raise VmNotFound("the VM has no root disk", host=self.host.name, subject=name)


def _basename(path: str) -> str:
    return path.replace("/", "\\").rpartition("\\")[2]


def _extension(path: str) -> str:
    return "." + _basename(path).rpartition(".")[2].lower()
