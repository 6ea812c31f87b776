"""Contract: NICs and vSwitch ports, the serial console, checkpoints (fake and psrp)."""

from __future__ import annotations

import pytest

from wincloud.errors import ConfigError, HostObjectExists, HostObjectNotFound, InvalidVmState
from wincloud.hyperv.host import VmAction, VmSpec

GIB = 1024**3
INST = "C:\\Hyper-V\\vm1"


@pytest.fixture
def vm(subject):
    subject.host.create_vm(VmSpec("vm1"))
    return subject


def test_nic_keeps_its_mac_and_switch(vm):
    nic = vm.host.add_nic("vm1", "port-1", mac="FA-16-3E-00-00-01", switch="external")
    assert (nic.name, nic.mac, nic.switch, nic.vlan_id) == (
        "port-1",
        "fa:16:3e:00:00:01",
        "external",
        None,
    )
    assert vm.host.list_nics("vm1") == [nic]


def test_nic_without_mac_gets_one(vm):
    nic = vm.host.add_nic("vm1", "port-1")
    assert len(nic.mac.split(":")) == 6 and nic.switch is None


def test_nic_names_are_unique_per_vm(vm):
    vm.host.add_nic("vm1", "port-1")
    with pytest.raises(HostObjectExists):
        vm.host.add_nic("vm1", "port-1")


def test_unknown_switch_is_refused(vm):
    vm.host.add_nic("vm1", "port-1")
    with pytest.raises(HostObjectNotFound):
        vm.host.connect_nic("vm1", "port-1", "no-such-switch")


def test_connect_and_disconnect(vm):
    vm.host.add_nic("vm1", "port-1")
    vm.host.connect_nic("vm1", "port-1", "internal")
    assert vm.host.list_nics("vm1")[0].switch == "internal"
    vm.host.disconnect_nic("vm1", "port-1")
    assert vm.host.list_nics("vm1")[0].switch is None


def test_port_vlan_set_and_cleared(vm):
    vm.host.add_nic("vm1", "port-1", switch="external")
    vm.host.set_port_vlan("vm1", "port-1", 42)
    assert vm.host.list_nics("vm1")[0].vlan_id == 42
    vm.host.set_port_vlan("vm1", "port-1", None)
    assert vm.host.list_nics("vm1")[0].vlan_id is None


def test_vlan_id_range(vm):
    vm.host.add_nic("vm1", "port-1")
    with pytest.raises(ConfigError):
        vm.host.set_port_vlan("vm1", "port-1", 4095)


def test_removed_nic_is_gone(vm):
    vm.host.add_nic("vm1", "port-1")
    vm.host.remove_nic("vm1", "port-1")
    assert vm.host.list_nics("vm1") == []


def test_console_returns_what_the_guest_wrote(vm):
    vm.host.set_com_pipe("vm1", 1, "vm1-com1")
    vm.host.set_vm_state("vm1", VmAction.START)
    vm.control.guest_write_console("vm1", b"boot ok\r\nlogin: ")
    assert vm.host.read_console("vm1", max_bytes=1024) == b"boot ok\r\nlogin: "
    assert vm.host.read_console("vm1", max_bytes=7) == b"login: "


def test_console_of_a_vm_without_output_is_empty(vm):
    assert vm.host.read_console("vm1", max_bytes=1024) == b""


def test_com_port_changes_need_an_off_vm(vm):
    vm.host.set_vm_state("vm1", VmAction.START)
    with pytest.raises(InvalidVmState):
        vm.host.set_com_pipe("vm1", 1, "vm1-com1")


def _root(subject):
    subject.host.make_dir(INST)
    subject.host.new_vhd(f"{INST}\\root.vhdx", GIB)
    subject.host.attach_disk("vm1", f"{INST}\\root.vhdx")


def test_checkpoint_redirects_the_disk_to_a_child(vm):
    _root(vm)
    ck = vm.host.create_checkpoint("vm1", "snap-1")
    assert [p.lower() for p in ck.disk_paths] == [f"{INST}\\root.vhdx".lower()]
    current = vm.host.list_disks("vm1")[0].path
    assert current.lower().endswith(".avhdx")
    assert vm.host.get_vhd(current).parent_path.lower() == f"{INST}\\root.vhdx".lower()
    assert [c.name for c in vm.host.list_checkpoints("vm1")] == ["snap-1"]


def test_removing_a_checkpoint_merges_it_back(vm):
    _root(vm)
    vm.host.create_checkpoint("vm1", "snap-1")
    vm.host.remove_checkpoint("vm1", "snap-1")
    assert vm.host.list_disks("vm1")[0].path.lower() == f"{INST}\\root.vhdx".lower()
    assert vm.host.list_checkpoints("vm1") == []


def test_checkpoint_names_are_unique(vm):
    vm.host.create_checkpoint("vm1", "snap")
    with pytest.raises(HostObjectExists):
        vm.host.create_checkpoint("vm1", "snap")


def test_checkpoints_chain_to_their_parent(vm):
    _root(vm)
    vm.host.create_checkpoint("vm1", "one")
    vm.host.create_checkpoint("vm1", "two")
    assert [(c.name, c.parent_name) for c in vm.host.list_checkpoints("vm1")] == [
        ("one", None),
        ("two", "one"),
    ]
