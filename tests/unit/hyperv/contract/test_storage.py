"""Contract: virtual disks, drives and files (fake and psrp)."""

from __future__ import annotations

import pytest

from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    PathInUse,
)
from wincloud.hyperv.host import VhdFormat, VhdType, VmAction, VmSpec

GIB = 1024**3
BASE = "C:\\Hyper-V\\base"
INST = "C:\\Hyper-V\\vm1"


def _chain(host):
    host.make_dir(BASE)
    host.make_dir(INST)
    host.new_vhd(f"{BASE}\\image.vhdx", 10 * GIB)
    return host.new_diff_vhd(f"{BASE}\\image.vhdx", f"{INST}\\root.vhdx")


def test_new_dynamic_vhdx_is_described(subject):
    subject.host.make_dir(BASE)
    info = subject.host.new_vhd(f"{BASE}\\d.vhdx", 4 * GIB)
    assert (info.format, info.vhd_type, info.size_bytes, info.parent_path) == (
        VhdFormat.VHDX,
        VhdType.DYNAMIC,
        4 * GIB,
        None,
    )
    assert subject.host.get_vhd(f"{BASE}\\d.vhdx") == info


def test_fixed_vhd_takes_its_size_on_disk(subject):
    subject.host.make_dir(BASE)
    info = subject.host.new_vhd(f"{BASE}\\f.vhd", GIB, fmt=VhdFormat.VHD, dynamic=False)
    assert info.vhd_type is VhdType.FIXED and info.file_size_bytes >= GIB


def test_extension_must_match_the_format(subject):
    subject.host.make_dir(BASE)
    with pytest.raises(ConfigError):
        subject.host.new_vhd(f"{BASE}\\d.vhd", GIB, fmt=VhdFormat.VHDX)


def test_new_vhd_does_not_overwrite(subject):
    subject.host.make_dir(BASE)
    subject.host.new_vhd(f"{BASE}\\d.vhdx", GIB)
    with pytest.raises(HostObjectExists):
        subject.host.new_vhd(f"{BASE}\\d.vhdx", GIB)


def test_differencing_child_names_its_parent(subject):
    child = _chain(subject.host)
    assert child.vhd_type is VhdType.DIFFERENCING
    assert child.parent_path.lower() == f"{BASE}\\image.vhdx".lower()
    assert child.size_bytes == 10 * GIB


def test_missing_vhd_is_not_found(subject):
    with pytest.raises(HostObjectNotFound):
        subject.host.get_vhd("C:\\Hyper-V\\none.vhdx")


def test_resize_grows(subject):
    child = _chain(subject.host)
    assert subject.host.resize_vhd(child.path, 20 * GIB).size_bytes == 20 * GIB


def test_resize_never_shrinks(subject):
    child = _chain(subject.host)
    with pytest.raises(HostOperationFailed):
        subject.host.resize_vhd(child.path, 5 * GIB)


def test_disks_attach_to_free_scsi_locations(subject):
    child = _chain(subject.host)
    subject.host.new_vhd(f"{INST}\\eph.vhdx", GIB)
    subject.host.create_vm(VmSpec("vm1"))
    first = subject.host.attach_disk("vm1", child.path)
    second = subject.host.attach_disk("vm1", f"{INST}\\eph.vhdx")
    assert (first.controller, first.controller_number, first.location) == ("scsi", 0, 0)
    assert (second.controller_number, second.location) == (0, 1)
    assert [d.path.lower() for d in subject.host.list_disks("vm1")] == [
        child.path.lower(),
        f"{INST}\\eph.vhdx".lower(),
    ]


def test_generation_2_has_no_ide(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    with pytest.raises(HostOperationFailed):
        subject.host.attach_disk("vm1", child.path, controller="ide")


def test_generation_1_takes_ide_disks_and_dvds(subject):
    child = _chain(subject.host)
    subject.host.write_file(f"{INST}\\configdrive.iso", [b"\0" * 2048])
    subject.host.create_vm(VmSpec("vm1", generation=1, secure_boot=False))
    subject.host.attach_disk("vm1", child.path, controller="ide")
    dvd = subject.host.attach_disk("vm1", f"{INST}\\configdrive.iso", kind="dvd", controller="ide")
    assert dvd.kind == "dvd" and dvd.controller == "ide"
    assert {d.kind for d in subject.host.list_disks("vm1")} == {"hdd", "dvd"}


def test_attaching_a_missing_file_fails(subject):
    subject.host.create_vm(VmSpec("vm1"))
    with pytest.raises(HostObjectNotFound):
        subject.host.attach_disk("vm1", "C:\\Hyper-V\\none.vhdx")


def test_a_disk_attaches_once(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.create_vm(VmSpec("vm2"))
    subject.host.attach_disk("vm1", child.path)
    with pytest.raises(PathInUse):
        subject.host.attach_disk("vm2", child.path)


def test_detached_disk_is_gone_from_the_vm(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.attach_disk("vm1", child.path)
    subject.host.detach_disk("vm1", child.path)
    assert subject.host.list_disks("vm1") == []


def test_disk_of_a_running_vm_is_in_use(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.attach_disk("vm1", child.path)
    subject.host.set_vm_state("vm1", VmAction.START)
    with pytest.raises(PathInUse):
        subject.host.remove_path(child.path)
    assert subject.host.file_exists(child.path)


def test_parent_of_a_running_vms_disk_is_in_use(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.attach_disk("vm1", child.path)
    subject.host.set_vm_state("vm1", VmAction.START)
    with pytest.raises(PathInUse):
        subject.host.remove_path(f"{BASE}\\image.vhdx")


def test_disk_of_a_stopped_vm_can_be_removed(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.attach_disk("vm1", child.path)
    subject.host.set_vm_state("vm1", VmAction.START)
    subject.host.set_vm_state("vm1", VmAction.STOP)
    subject.host.detach_disk("vm1", child.path)
    subject.host.remove_path(child.path)
    assert not subject.host.file_exists(child.path)


def test_merge_folds_the_child_into_its_parent(subject):
    child = _chain(subject.host)
    subject.host.merge_vhd(child.path)
    assert subject.host.get_vhd(f"{BASE}\\image.vhdx").vhd_type is VhdType.DYNAMIC
    with pytest.raises(HostOperationFailed):
        subject.host.get_vhd(child.path)  # merged away: no longer a valid disk


def test_merge_refuses_a_chain_in_use(subject):
    child = _chain(subject.host)
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.attach_disk("vm1", child.path)
    subject.host.set_vm_state("vm1", VmAction.START)
    with pytest.raises(PathInUse):
        subject.host.merge_vhd(child.path)


def test_merge_refuses_a_parent_with_other_children(subject):
    child = _chain(subject.host)
    subject.host.new_diff_vhd(f"{BASE}\\image.vhdx", f"{INST}\\other.vhdx")
    with pytest.raises(PathInUse):
        subject.host.merge_vhd(child.path)


def test_merge_into_a_non_ancestor_is_refused(subject):
    child = _chain(subject.host)
    subject.host.new_vhd(f"{BASE}\\unrelated.vhdx", GIB)
    with pytest.raises(HostOperationFailed):
        subject.host.merge_vhd(child.path, f"{BASE}\\unrelated.vhdx")


def test_written_file_reads_back(subject):
    subject.host.make_dir(INST)
    data = bytes(range(256)) * 70  # several write batches over psrp
    assert subject.host.write_file(f"{INST}\\blob.bin", [data[:5000], data[5000:]]) == len(data)
    assert subject.host.read_file(f"{INST}\\blob.bin", max_bytes=len(data) + 10) == data
    assert subject.host.read_file(f"{INST}\\blob.bin", max_bytes=4, offset=256) == data[:4]


def test_rewriting_a_file_replaces_it(subject):
    subject.host.make_dir(INST)
    subject.host.write_file(f"{INST}\\f", [b"old content"])
    subject.host.write_file(f"{INST}\\f", [b"new"])
    assert subject.host.read_file(f"{INST}\\f", max_bytes=100) == b"new"
    assert [e.name for e in subject.host.list_dir(INST)] == ["f"]


def test_writing_into_a_missing_directory_fails(subject):
    with pytest.raises(HostObjectNotFound):
        subject.host.write_file("C:\\nowhere\\f", [b"x"])


def test_directory_listing(subject):
    subject.host.make_dir(f"{INST}\\sub")
    subject.host.write_file(f"{INST}\\b.bin", [b"12345"])
    entries = subject.host.list_dir(INST)
    assert [(e.name, e.is_dir) for e in entries] == [("b.bin", False), ("sub", True)]
    assert entries[0].size_bytes == 5


def test_removing_a_missing_path_is_fine(subject):
    subject.host.remove_path("C:\\Hyper-V\\never")
    assert not subject.host.file_exists("C:\\Hyper-V\\never")


def test_removing_a_directory_removes_its_files(subject):
    subject.host.make_dir(INST)
    subject.host.write_file(f"{INST}\\a", [b"1"])
    subject.host.remove_path(INST)
    assert not subject.host.file_exists(f"{INST}\\a")
    assert not subject.host.file_exists(INST)


def test_copy_is_a_second_file(subject):
    subject.host.make_dir(INST)
    subject.host.write_file(f"{INST}\\a", [b"payload"])
    subject.host.copy_file(f"{INST}\\a", f"{INST}\\b")
    assert subject.host.read_file(f"{INST}\\b", max_bytes=100) == b"payload"


def test_set_parent_moves_a_child_to_a_copy_of_its_parent(subject):
    child = _chain(subject.host)
    subject.host.copy_file(f"{BASE}\\image.vhdx", f"{INST}\\image-copy.vhdx")
    info = subject.host.set_vhd_parent(child.path, f"{INST}\\image-copy.vhdx")
    assert info.parent_path.lower() == f"{INST}\\image-copy.vhdx".lower()


def test_set_parent_needs_a_differencing_child(subject):
    _chain(subject.host)
    subject.host.new_vhd(f"{BASE}\\plain.vhdx", GIB)
    with pytest.raises(HostOperationFailed):
        subject.host.set_vhd_parent(f"{BASE}\\plain.vhdx", f"{BASE}\\image.vhdx")


def test_an_empty_write_makes_an_empty_file(subject):
    subject.host.make_dir(INST)
    assert subject.host.write_file(f"{INST}\\empty", []) == 0
    assert subject.host.read_file(f"{INST}\\empty", max_bytes=10) == b""
    assert [(e.name, e.size_bytes) for e in subject.host.list_dir(INST)] == [("empty", 0)]
