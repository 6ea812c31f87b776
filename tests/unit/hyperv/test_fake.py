"""FakeHost beyond the contract: its rules table, the rules only it enforces (a real host would
not refuse these), and Get-VHD on disks written byte by byte (an image copied from Glance)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import wincloud.hyperv.fake as fake_pkg
from wincloud.errors import HostObjectNotFound, InvalidVmState, PathInUse
from wincloud.hyperv.fake import RULES, UNVERIFIED, FakeHost
from wincloud.hyperv.host import VhdFormat, VhdType, VmAction, VmSpec
from wincloud.hyperv.vhd import create_differencing, create_disk

GIB = 1024**3
_CITED = re.compile(
    r'(?:rule=|cite\(|refuse\(|_refuse_state\([^)]*?)"((?:vm|disk|nic|vhd|file|com|ckpt)\.[a-z0-9-]+)"'
)


def test_every_rule_the_fake_cites_is_in_the_table():
    src = Path(fake_pkg.__file__).parent
    cited = {m[1] for p in src.glob("*.py") for m in _CITED.finditer(p.read_text())}
    assert cited, "the pattern must find the citations"
    assert cited <= set(RULES)


def test_rules_are_verified_by_a_microsoft_page_or_marked_unverified():
    for rule in RULES.values():
        if rule.verified:
            assert rule.source.startswith("https://learn.microsoft.com/"), rule.id
        else:
            assert rule.source == UNVERIFIED
            assert not rule.see or rule.see.startswith("https://learn.microsoft.com/"), rule.id


def test_a_refusal_names_its_rule():
    host = FakeHost()
    host.create_vm(VmSpec("vm"))
    host.set_vm_state("vm", VmAction.START)
    with pytest.raises(InvalidVmState) as info:
        host.remove_vm("vm")
    assert "vm.remove-off" in info.value.detail


def _chain(host: FakeHost) -> None:
    host.make_dir("C:\\d")
    host.new_vhd("C:\\d\\base.vhdx", GIB)
    host.new_diff_vhd("C:\\d\\base.vhdx", "C:\\d\\child.vhdx")


def test_a_parent_with_children_is_not_removed():
    host = FakeHost()
    _chain(host)
    with pytest.raises(PathInUse) as info:
        host.remove_path("C:\\d\\base.vhdx")
    assert "vhd.parent-remove" in info.value.detail


def test_a_directory_holding_the_whole_chain_is_removed():
    host = FakeHost()
    _chain(host)
    host.remove_path("C:\\d")
    assert not host.file_exists("C:\\d\\base.vhdx")


def test_a_parent_is_not_attached_writable():
    host = FakeHost()
    _chain(host)
    host.create_vm(VmSpec("vm"))
    with pytest.raises(PathInUse):
        host.attach_disk("vm", "C:\\d\\base.vhdx")


def test_a_vm_whose_disk_was_merged_away_does_not_start():
    host = FakeHost()
    _chain(host)
    host.create_vm(VmSpec("vm"))
    host.attach_disk("vm", "C:\\d\\child.vhdx")
    host.merge_vhd("C:\\d\\child.vhdx")
    with pytest.raises(PathInUse):
        host.set_vm_state("vm", VmAction.START)


def test_a_vm_whose_disk_is_gone_does_not_start():
    host = FakeHost()
    _chain(host)
    host.create_vm(VmSpec("vm"))
    host.attach_disk("vm", "C:\\d\\child.vhdx")
    host.detach_disk("vm", "C:\\d\\child.vhdx")
    host.attach_disk("vm", "C:\\d\\child.vhdx")
    host.remove_path("C:\\d\\child.vhdx")  # allowed: the VM is off
    with pytest.raises(HostObjectNotFound):
        host.set_vm_state("vm", VmAction.START)


def test_console_output_is_kept_only_while_the_vm_runs():
    host = FakeHost()
    host.create_vm(VmSpec("vm"))
    host.set_com_pipe("vm", 1, "vm-com1")
    host.guest_write_console("vm", b"lost")
    host.set_vm_state("vm", VmAction.START)
    host.guest_write_console("vm", b"kept")
    assert host.read_console("vm", max_bytes=100) == b"kept"


@pytest.mark.parametrize(
    ("suffix", "kind", "fmt"),
    [
        ("vhdx", "dynamic", VhdFormat.VHDX),
        ("vhdx", "fixed", VhdFormat.VHDX),
        ("vhd", "dynamic", VhdFormat.VHD),
        ("vhd", "fixed", VhdFormat.VHD),
    ],
)
def test_a_disk_written_as_bytes_is_described(tmp_path, suffix, kind, fmt):
    local = tmp_path / f"img.{suffix}"
    create_disk(local, 64 * 1024 * 1024, kind=kind)  # our VHD library writes the real format
    host = FakeHost()
    host.make_dir("C:\\cache")
    host.write_file(f"C:\\cache\\img.{suffix}", [local.read_bytes()])
    info = host.get_vhd(f"C:\\cache\\img.{suffix}")
    assert (info.format, info.vhd_type, info.size_bytes) == (fmt, VhdType(kind), 64 * 1024 * 1024)


@pytest.mark.parametrize("suffix", ["vhdx", "vhd"])
def test_a_differencing_disk_written_as_bytes_names_its_parent(tmp_path, suffix):
    parent, child = tmp_path / f"base.{suffix}", tmp_path / f"child.{suffix}"
    create_disk(parent, 64 * 1024 * 1024)
    create_differencing(parent, child, parent_path_for_locator=f"C:\\cache\\base.{suffix}")
    host = FakeHost()
    host.make_dir("C:\\cache")
    host.write_file(f"C:\\cache\\base.{suffix}", [parent.read_bytes()])
    host.write_file(f"C:\\cache\\child.{suffix}", [child.read_bytes()])
    info = host.get_vhd(f"C:\\cache\\child.{suffix}")
    assert info.vhd_type is VhdType.DIFFERENCING
    assert info.parent_path.lower() == f"C:\\cache\\base.{suffix}".lower()


@pytest.mark.parametrize(
    ("fmt", "dynamic"), [(VhdFormat.VHDX, True), (VhdFormat.VHD, True), (VhdFormat.VHD, False)]
)
def test_a_disk_made_by_new_vhd_reads_back_as_a_real_disk(fmt, dynamic):
    host = FakeHost()
    host.make_dir("C:\\d")
    made = host.new_vhd(f"C:\\d\\a.{fmt.value}", 32 * 1024 * 1024, fmt=fmt, dynamic=dynamic)
    data = host.read_file(made.path, max_bytes=1 << 30)
    host.write_file(f"C:\\d\\copy.{fmt.value}", [data])
    copy = host.get_vhd(f"C:\\d\\copy.{fmt.value}")
    assert (copy.format, copy.vhd_type, copy.size_bytes) == (
        made.format,
        made.vhd_type,
        made.size_bytes,
    )


def test_a_differencing_record_reads_back_naming_its_parent():
    host = FakeHost()
    _chain(host)
    data = host.read_file("C:\\d\\child.vhdx", max_bytes=1 << 30)
    host.make_dir("C:\\e")
    host.write_file("C:\\e\\child.vhdx", [data])
    assert host.get_vhd("C:\\e\\child.vhdx").parent_path.lower() == "c:\\d\\base.vhdx"


def test_get_vhd_file_size_is_what_read_file_hands_out():
    host = FakeHost()
    _chain(host)
    for path in ("C:\\d\\base.vhdx", "C:\\d\\child.vhdx"):
        size = host.get_vhd(path).file_size_bytes
        assert len(host.read_file(path, max_bytes=1 << 30)) == size
