"""The driver's host steps through PsrpHost: real HTTP to the localhost WinRM replay server,
whose answers come from a FakeHost (the state behind the wire). Nothing here ran on Windows."""

from __future__ import annotations

import pytest

from tests.unit.hyperv.nova.conftest import chunks_of, spawn_request
from wincloud.hyperv.host import VhdType, VmState
from wincloud.hyperv.nova.imagecache import ImageCache
from wincloud.hyperv.nova.plan import DriverSettings, Nic, plan_vm
from wincloud.hyperv.nova.vmops import InstanceOps
from wincloud.hyperv.psrp import PsrpHost

NAME = "instance-00000001"


@pytest.fixture
def psrp_host(replay):
    host = PsrpHost(replay.settings(), write_chunk_bytes=1024 * 1024)
    yield host
    host.close()


def test_spawn_power_and_destroy_over_psrp(psrp_host, replay, image, vhdx_bytes):
    settings = DriverSettings(vswitch="external", chunk_bytes=64 * 1024)
    ops = InstanceOps(psrp_host, settings)
    ops.check_host()
    base, fetched = ImageCache(psrp_host, settings).fetch(
        image, ops.instances_path, lambda: chunks_of(vhdx_bytes)
    )
    plan = plan_vm(
        spawn_request(image, nics=[Nic("port-1", "fa:16:3e:00:00:01")]),
        settings,
        ops.instances_path,
    )

    ops.create_vm(plan, base)
    ops.add_nics(plan)
    ops.power_on(NAME)

    behind = replay.fake
    assert fetched
    assert behind.read_file(base, max_bytes=len(vhdx_bytes) + 1) == vhdx_bytes
    assert behind.find_vm(NAME).state is VmState.RUNNING
    (root,) = behind.list_disks(NAME)
    assert behind.get_vhd(root.path).vhd_type is VhdType.DIFFERENCING
    assert [n.name for n in behind.list_nics(NAME)] == ["port-1"]

    ops.destroy(NAME)

    assert behind.find_vm(NAME) is None
    assert not behind.file_exists(plan.paths.directory)
