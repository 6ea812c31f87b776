"""Contract: VM lifecycle and states (fake and psrp)."""

from __future__ import annotations

import pytest

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostTimeout,
    InsufficientHostResources,
    InvalidVmState,
    VmNotFound,
)
from wincloud.hyperv.host import VmAction, VmSpec, VmState


def test_created_vm_is_found_with_its_spec(subject):
    subject.host.create_vm(
        VmSpec(
            "web-1",
            generation=2,
            cpu_count=2,
            memory_mb=2048,
            secure_boot=True,
            notes="instance abc",
        )
    )
    vm = subject.host.find_vm("web-1")
    assert vm is not None
    assert (vm.name, vm.generation, vm.cpu_count, vm.memory_mb, vm.notes, vm.secure_boot) == (
        "web-1",
        2,
        2,
        2048,
        "instance abc",
        True,
    )
    assert vm.state is VmState.OFF


def test_generation_1_vm_has_no_secure_boot(subject):
    vm = subject.host.create_vm(VmSpec("old", generation=1, secure_boot=False))
    assert vm.generation == 1 and vm.secure_boot is None


def test_missing_vm_is_none(subject):
    assert subject.host.find_vm("nope") is None


def test_list_vms_lists_every_vm(subject):
    for name in ("b", "a"):
        subject.host.create_vm(VmSpec(name))
    assert sorted(v.name for v in subject.host.list_vms()) == ["a", "b"]


def test_names_are_data_not_code(subject):
    name = "x'; Remove-VM -Name * -Force; $(Stop-Computer) [a]*?"
    subject.host.create_vm(VmSpec(name))
    subject.host.create_vm(VmSpec("a"))
    assert subject.host.find_vm(name) is not None
    assert subject.host.find_vm("x*") is None
    assert len(subject.host.list_vms()) == 2


def test_duplicate_name_is_refused(subject):
    subject.host.create_vm(VmSpec("dup"))
    with pytest.raises(HostObjectExists):
        subject.host.create_vm(VmSpec("dup"))


def test_secure_boot_on_generation_1_is_refused(subject):
    with pytest.raises(ConfigError):
        subject.host.create_vm(VmSpec("g1", generation=1, secure_boot=True))


def test_start_runs_and_stop_turns_off(subject):
    subject.host.create_vm(VmSpec("vm"))
    assert subject.host.set_vm_state("vm", VmAction.START).state is VmState.RUNNING
    assert subject.host.set_vm_state("vm", VmAction.STOP).state is VmState.OFF


def test_running_vm_cannot_be_removed(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.set_vm_state("vm", VmAction.START)
    with pytest.raises(InvalidVmState):
        subject.host.remove_vm("vm")
    assert subject.host.find_vm("vm") is not None


def test_off_vm_is_removed(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.remove_vm("vm")
    assert subject.host.find_vm("vm") is None


def test_removing_a_missing_vm_says_so(subject):
    with pytest.raises(VmNotFound):
        subject.host.remove_vm("ghost")


def test_start_needs_free_host_memory(subject):
    subject.host.create_vm(VmSpec("big", memory_mb=4096))
    subject.control.set_memory_free(1024)
    with pytest.raises(InsufficientHostResources):
        subject.host.set_vm_state("big", VmAction.START)
    assert subject.host.find_vm("big").state is VmState.OFF


def test_pause_needs_a_running_vm(subject):
    subject.host.create_vm(VmSpec("vm"))
    with pytest.raises(InvalidVmState):
        subject.host.set_vm_state("vm", VmAction.PAUSE)


def test_pause_then_resume(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.set_vm_state("vm", VmAction.START)
    assert subject.host.set_vm_state("vm", VmAction.PAUSE).state is VmState.PAUSED
    assert subject.host.set_vm_state("vm", VmAction.RESUME).state is VmState.RUNNING


def test_saved_vm_starts_again(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.set_vm_state("vm", VmAction.START)
    assert subject.host.set_vm_state("vm", VmAction.SAVE).state is VmState.SAVED
    assert subject.host.set_vm_state("vm", VmAction.START).state is VmState.RUNNING


def test_guest_shutdown_turns_the_vm_off(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.set_vm_state("vm", VmAction.START)
    assert subject.host.set_vm_state("vm", VmAction.SHUTDOWN, timeout_s=5).state is VmState.OFF


def test_guest_ignoring_shutdown_times_out_and_stays_running(subject):
    subject.host.create_vm(VmSpec("vm"))
    subject.host.set_vm_state("vm", VmAction.START)
    subject.control.set_guest_shutdown("vm", responds=False)
    with pytest.raises(HostTimeout):
        subject.host.set_vm_state("vm", VmAction.SHUTDOWN, timeout_s=1)
    assert subject.host.find_vm("vm").state is VmState.RUNNING


def test_running_vms_take_host_memory(subject):
    before = subject.host.host_info().memory_mb_free
    subject.host.create_vm(VmSpec("vm", memory_mb=2048))
    subject.host.set_vm_state("vm", VmAction.START)
    assert subject.host.host_info().memory_mb_free == before - 2048


def test_switches_are_listed_with_types_and_extensions(subject):
    switches = {s.name: s for s in subject.host.list_switches()}
    assert switches["external"].switch_type == "External"
    assert switches["external"].extensions_enabled == ("Microsoft Windows Filtering Platform",)
    assert switches["internal"].switch_type == "Internal"
