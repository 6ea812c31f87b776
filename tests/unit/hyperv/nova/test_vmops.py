"""The host side of each Nova operation, asserted on the fake host's state."""

from __future__ import annotations

import pytest

from tests.unit.hyperv.nova.conftest import GIB, INSTANCE_UUID, chunks_of, spawn_request
from wincloud.errors import ConfigError, HyperVError, ImageError, VmNotFound
from wincloud.hyperv.host import VhdType, VmAction, VmState
from wincloud.hyperv.nova.plan import Flavor, ImageFacts, Nic, VmPlan, plan_vm
from wincloud.hyperv.nova.vmops import InstanceOps

NAME = "instance-00000001"
FOLDER = f"C:\\Hyper-V\\{NAME}"


@pytest.fixture
def base(cache, image, vhdx_bytes):
    path, _ = cache.fetch(image, "C:\\Hyper-V", lambda: chunks_of(vhdx_bytes))
    return path


def make_plan(ops: InstanceOps, image: ImageFacts, **overrides: object) -> VmPlan:
    return plan_vm(spawn_request(image, **overrides), ops.settings, ops.instances_path)


@pytest.fixture
def running(ops, image, base):
    plan = make_plan(ops, image, nics=[Nic("port-1", "fa:16:3e:00:00:01")])
    ops.create_vm(plan, base)
    ops.add_nics(plan)
    ops.power_on(NAME)
    return plan


def files(host) -> list[str]:
    return sorted(e.name for e in host.list_dir(FOLDER)) if host.file_exists(FOLDER) else []


def test_check_host_names_the_missing_vswitch_and_the_ones_there(host, settings):
    from dataclasses import replace

    ops = InstanceOps(host, replace(settings, vswitch="tenant"))

    with pytest.raises(ConfigError) as err:
        ops.check_host()

    assert "tenant" in str(err.value)
    assert "external" in (err.value.hint or "")


def test_instances_path_defaults_to_the_hosts(ops):
    assert ops.instances_path == "C:\\Hyper-V"


def test_create_vm_builds_the_vm_with_a_differencing_root_resized_to_the_flavor(
    ops, host, image, base
):
    vm = ops.create_vm(make_plan(ops, image), base)

    assert (vm.state, vm.generation, vm.cpu_count, vm.memory_mb) == (VmState.OFF, 2, 2, 2048)
    assert vm.notes == INSTANCE_UUID
    (root,) = host.list_disks(NAME)
    info = host.get_vhd(root.path)
    assert (root.controller, info.vhd_type, info.size_bytes) == (
        "scsi",
        VhdType.DIFFERENCING,
        20 * GIB,
    )
    assert info.parent_path == base


def test_generation_1_root_goes_on_ide_and_ephemerals_on_scsi(ops, host, image, base):
    gen1 = ImageFacts(image.image_id, "vhdx", image.size_bytes, machine_type="hyperv-gen1")
    plan = make_plan(ops, gen1, ephemeral_gb=[3])

    ops.create_vm(plan, base)

    slots = host.list_disks(NAME)
    assert [(s.controller, s.path.rpartition("\\")[2]) for s in slots] == [
        ("ide", "root.vhdx"),
        ("scsi", "ephemeral0.vhdx"),
    ]
    assert host.get_vhd(slots[1].path).size_bytes == 3 * GIB


def test_root_smaller_than_the_image_is_refused_before_anything_is_created(ops, host, image, base):
    plan = make_plan(ops, image, flavor=Flavor(vcpus=1, memory_mb=512, root_gb=1))

    with pytest.raises(ImageError):
        ops.create_vm(plan, base)

    assert host.list_vms() == []
    assert files(host) == []


def test_config_drive_is_written_and_attached_as_a_dvd(ops, host, image, base):
    plan = make_plan(ops, image)
    ops.create_vm(plan, base)

    ops.attach_config_drive(plan, [b"CD001" * 1000])

    (dvd,) = [s for s in host.list_disks(NAME) if s.kind == "dvd"]
    assert dvd.path == f"{FOLDER}\\configdrive.iso"
    assert host.read_file(dvd.path, max_bytes=10) == b"CD001CD001"


def test_add_nics_names_them_by_port_and_is_repeatable(ops, host, image, base):
    plan = make_plan(
        ops, image, nics=[Nic("port-1", "fa:16:3e:00:00:01"), Nic("port-2", "fa:16:3e:00:00:02")]
    )
    ops.create_vm(plan, base)

    ops.add_nics(plan)
    ops.add_nics(plan)

    assert [(n.name, n.mac, n.switch) for n in host.list_nics(NAME)] == [
        ("port-1", "fa:16:3e:00:00:01", "external"),
        ("port-2", "fa:16:3e:00:00:02", "external"),
    ]


def test_removed_on_failure_destroys_what_the_block_created(ops, host, image, base):
    plan = make_plan(ops, image)

    with pytest.raises(RuntimeError), ops.removed_on_failure(NAME):
        ops.create_vm(plan, base)
        ops.power_on(NAME)
        raise RuntimeError("neutron said no")

    assert host.find_vm(NAME) is None
    assert not host.file_exists(FOLDER)
    assert host.file_exists(base)


def test_destroy_removes_a_running_vm_and_its_folder_and_is_idempotent(ops, host, running):
    ops.destroy(NAME)
    ops.destroy(NAME)

    assert host.find_vm(NAME) is None
    assert not host.file_exists(FOLDER)


def test_destroy_can_keep_the_files(ops, host, running):
    ops.destroy(NAME, keep_files=True)

    assert host.find_vm(NAME) is None
    assert "root.vhdx" in files(host)


def test_destroy_removes_leftover_checkpoints_first(ops, host, running):
    host.create_checkpoint(NAME, "left-over")

    ops.destroy(NAME)

    assert host.find_vm(NAME) is None
    assert not host.file_exists(FOLDER)


def test_power_off_asks_the_guest_first(ops, host, running):
    assert ops.power_off(NAME, 30).state is VmState.OFF


def test_power_off_turns_off_a_guest_that_does_not_shut_down(ops, host, running):
    host.set_guest_shutdown(NAME, responds=False)

    assert ops.power_off(NAME, 30).state is VmState.OFF


def test_power_off_of_an_off_vm_is_a_no_op(ops, host, running):
    ops.power_off(NAME, 0)

    assert ops.power_off(NAME, 30).state is VmState.OFF


def test_power_on_resumes_a_paused_vm_and_starts_a_saved_one(ops, host, running):
    ops.pause(NAME)
    assert ops.power_on(NAME).state is VmState.RUNNING
    ops.suspend(NAME)
    assert host.find_vm(NAME).state is VmState.SAVED
    assert ops.power_on(NAME).state is VmState.RUNNING


@pytest.mark.parametrize("hard", [False, True])
def test_reboot_leaves_the_vm_running_even_if_the_guest_ignores_shutdown(ops, host, running, hard):
    host.set_guest_shutdown(NAME, responds=False)

    assert ops.reboot(NAME, hard=hard, timeout_s=5).state is VmState.RUNNING


def test_reboot_starts_a_vm_that_is_off(ops, host, running):
    host.set_vm_state(NAME, VmAction.STOP)

    assert ops.reboot(NAME, hard=False, timeout_s=5).state is VmState.RUNNING


def test_operations_on_a_missing_vm_raise_vm_not_found(ops):
    with pytest.raises(VmNotFound):
        ops.power_on("instance-404")
    with pytest.raises(VmNotFound):
        ops.console("instance-404")


def test_console_returns_what_the_guest_wrote_to_com1(ops, host, running):
    host.guest_write_console(NAME, b"SAC>\r\n")

    assert ops.console(NAME) == b"SAC>\r\n"


def test_snapshot_merges_a_copy_of_root_into_a_copy_of_the_base(ops, host, running, vhdx_bytes):
    merged = ops.snapshot(NAME, "nova-snapshot-1")

    assert merged == f"{FOLDER}\\snapshot\\image.vhdx"
    assert b"".join(ops.read_chunks(merged)) == vhdx_bytes  # the fake keeps no guest writes
    assert host.list_checkpoints(NAME) == []
    (root,) = [s for s in host.list_disks(NAME) if s.kind == "hdd"]
    assert root.path == f"{FOLDER}\\root.vhdx"
    assert host.find_vm(NAME).state is VmState.RUNNING


def test_root_disk_is_found_below_a_checkpoint(ops, host, running):
    host.create_checkpoint(NAME, "cp")

    assert ops.root_disk(NAME) == f"{FOLDER}\\root.vhdx"


def test_read_chunks_streams_a_file_in_setting_sized_pieces(ops, host, base, vhdx_bytes):
    pieces = list(ops.read_chunks(base))

    assert b"".join(pieces) == vhdx_bytes
    assert max(len(p) for p in pieces) == ops.settings.chunk_bytes


def test_a_snapshot_that_fails_midway_drops_its_checkpoint(ops, host, running):
    # The host's volume fills up: the copies of root and base no longer fit (the fake has no
    # public knob for free space, so the test sets the capacity it models).
    host._volume.capacity_bytes = host._volume.used_bytes() + 1024

    with pytest.raises(HyperVError):
        ops.snapshot(NAME, "fails")

    assert host.list_checkpoints(NAME) == []
    assert host.find_vm(NAME).state is VmState.RUNNING
