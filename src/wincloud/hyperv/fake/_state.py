"""The fake host's VM records (mutable; the Protocol hands out frozen copies)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from wincloud.hyperv.host import DiskSlot, VmState

# States in which the VM's worker process holds memory and its disk files open.
ACTIVE_STATES = frozenset(
    {
        VmState.RUNNING,
        VmState.PAUSED,
        VmState.STARTING,
        VmState.STOPPING,
        VmState.SAVING,
        VmState.PAUSING,
        VmState.RESUMING,
        VmState.RESET,
    }
)


@dataclass
class FakeNic:
    name: str
    mac: str
    switch: str | None = None
    vlan_id: int | None = None


@dataclass
class FakeCheckpoint:
    name: str
    created_at: dt.datetime
    parent_name: str | None
    # (slot index, the disk path before, the .avhdx created) for each hard disk redirected
    redirects: list[tuple[int, str, str]] = field(default_factory=list)


@dataclass
class FakeVm:
    name: str
    vm_id: str
    generation: int
    cpu_count: int
    memory_mb: int
    secure_boot: bool
    notes: str
    path: str
    state: VmState = VmState.OFF
    started_at: dt.datetime | None = None
    slots: list[DiskSlot] = field(default_factory=list)
    nics: dict[str, FakeNic] = field(default_factory=dict)  # casefolded name -> NIC
    com: dict[int, str] = field(default_factory=dict)
    checkpoints: list[FakeCheckpoint] = field(default_factory=list)
    console: bytearray = field(default_factory=bytearray)
    guest_shuts_down: bool = True  # False: the guest ignores the shutdown request

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES
