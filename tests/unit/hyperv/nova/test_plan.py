"""The driver's decisions, from plain values (no Nova)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.hyperv.nova.conftest import IMAGE_ID, spawn_request
from wincloud.errors import ConfigError, ImageError
from wincloud.hyperv.host import DirEntry, VhdFormat, VmState
from wincloud.hyperv.nova import plan
from wincloud.hyperv.nova.plan import DriverSettings, EphemeralDisk, Flavor, ImageFacts, Nic

GIB = plan.GIB
SETTINGS = DriverSettings(vswitch="external")


def facts(**overrides: object) -> ImageFacts:
    values: dict[str, object] = {"image_id": IMAGE_ID, "disk_format": "vhdx", "size_bytes": 1}
    values.update(overrides)
    return ImageFacts(**values)  # type: ignore[arg-type]


def test_vm_plan_takes_cpu_memory_and_disk_from_the_flavor():
    vm = plan.plan_vm(spawn_request(facts()), SETTINGS, "D:\\VMs")

    assert (vm.cpu_count, vm.memory_mb, vm.root_gb) == (2, 2048, 20)
    assert vm.root_path == "D:\\VMs\\instance-00000001\\root.vhdx"
    assert vm.switch == "external"


@pytest.mark.parametrize(
    ("machine_type", "generation", "controller"),
    [
        (None, 2, "scsi"),
        ("hyperv-gen2", 2, "scsi"),
        ("hyperv-gen1", 1, "ide"),
        ("HyperV-Gen1", 1, "ide"),
    ],
)
def test_generation_and_boot_controller_follow_hw_machine_type(
    machine_type, generation, controller
):
    vm = plan.plan_vm(spawn_request(facts(machine_type=machine_type)), SETTINGS, "C:\\HV")

    assert (vm.generation, vm.disk_controller) == (generation, controller)


def test_default_generation_is_a_setting():
    settings = DriverSettings(vswitch="external", default_generation=1)

    assert plan.plan_vm(spawn_request(facts()), settings, "C:\\HV").generation == 1


def test_unknown_machine_type_is_refused_with_the_accepted_values():
    with pytest.raises(ImageError) as err:
        plan.plan_vm(spawn_request(facts(machine_type="pc-q35")), SETTINGS, "C:\\HV")

    assert "hyperv-gen2" in (err.value.hint or "")


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, False), ("disabled", False), ("optional", False), ("required", True)],
)
def test_secure_boot_only_when_the_image_requires_it(requested, expected):
    vm = plan.plan_vm(spawn_request(facts(secure_boot=requested)), SETTINGS, "C:\\HV")

    assert vm.secure_boot is expected


def test_secure_boot_required_on_generation_1_is_refused():
    with pytest.raises(ImageError, match="generation 2"):
        plan.secure_boot("required", gen=1)


@pytest.mark.parametrize("disk_format", ["qcow2", "raw", "vmdk", "iso"])
def test_formats_other_than_vhd_and_vhdx_are_refused(disk_format):
    with pytest.raises(ImageError, match=disk_format):
        plan.plan_vm(spawn_request(facts(disk_format=disk_format)), SETTINGS, "C:\\HV")


def test_vhd_image_gives_a_vhd_root():
    vm = plan.plan_vm(spawn_request(facts(disk_format="VHD")), SETTINGS, "C:\\HV")

    assert vm.image_format is VhdFormat.VHD
    assert vm.root_path.endswith("\\root.vhd")


def test_ephemerals_come_from_block_device_info_or_else_the_flavor():
    from_flavor = plan.plan_vm(
        spawn_request(facts(), flavor=Flavor(vcpus=1, memory_mb=512, root_gb=10, ephemeral_gb=5)),
        SETTINGS,
        "C:\\HV",
    )
    from_bdms = plan.plan_vm(spawn_request(facts(), ephemeral_gb=[1, 2]), SETTINGS, "C:\\HV")

    assert from_flavor.ephemerals == (
        EphemeralDisk("C:\\HV\\instance-00000001\\ephemeral0.vhdx", 5 * GIB),
    )
    assert [e.size_bytes for e in from_bdms.ephemerals] == [GIB, 2 * GIB]


def test_nics_keep_neutrons_order():
    nics = [Nic("port-b", "fa:16:3e:00:00:02"), Nic("port-a", "fa:16:3e:00:00:01")]

    vm = plan.plan_vm(spawn_request(facts(), nics=nics), SETTINGS, "C:\\HV")

    assert [n.port_id for n in vm.nics] == ["port-b", "port-a"]


@pytest.mark.parametrize("name", ["..\\evil", "a b", "", "x" * 101, "inst/../../x"])
def test_instance_names_that_would_escape_the_instances_folder_are_refused(name):
    with pytest.raises(ConfigError):
        plan.plan_vm(spawn_request(facts(), name=name), SETTINGS, "C:\\HV")


@pytest.mark.parametrize(
    ("root_gb", "virtual", "expected"),
    [(0, 2 * GIB, None), (2, 2 * GIB, None), (20, 2 * GIB, 20 * GIB)],
)
def test_root_grows_to_the_flavor_and_never_shrinks(root_gb, virtual, expected):
    assert plan.root_size(root_gb, virtual, image_id="i") == expected


def test_root_smaller_than_the_image_is_refused():
    with pytest.raises(ImageError, match="smaller than the image"):
        plan.root_size(1, 2 * GIB, image_id="i")


def test_base_image_path_is_in_the_cache_folder_and_refuses_odd_ids():
    assert plan.base_image_path("C:\\HV\\", "abc-1", VhdFormat.VHDX) == "C:\\HV\\_base\\abc-1.vhdx"
    with pytest.raises(ConfigError):
        plan.base_image_path("C:\\HV", "..\\x", VhdFormat.VHDX)


def test_unused_bases_are_old_enough_and_not_in_use():
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    old = now - dt.timedelta(days=2)
    entries = [
        DirEntry("in-use.vhdx", False, 10, old),
        DirEntry("unused.vhdx", False, 10, old),
        DirEntry("young.vhdx", False, 10, now - dt.timedelta(hours=1)),
        DirEntry("notes.txt", False, 10, old),
        DirEntry("folder.vhdx", True, 0, old),
    ]

    names = plan.unused_bases(entries, {"in-use"}, now=now, min_age_s=86400)

    assert names == ["unused.vhdx"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (VmState.RUNNING, plan.RUNNING),
        (VmState.OFF, plan.SHUTDOWN),
        (VmState.SAVED, plan.SUSPENDED),
        (VmState.PAUSED, plan.PAUSED),
        (VmState.STARTING, plan.NOSTATE),
        (VmState.STOPPING, plan.NOSTATE),
    ],
)
def test_power_states_map_to_novas(state, expected):
    assert plan.power_state(state) == expected


def test_settings_without_a_vswitch_are_refused():
    with pytest.raises(ConfigError, match="virtual switch"):
        DriverSettings(vswitch="")
