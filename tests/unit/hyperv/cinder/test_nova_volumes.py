"""The Nova side of a Cinder iSCSI volume on two fake hosts: the connection info our Cinder
backend returns on the storage host is what the compute host logs in with."""

from __future__ import annotations

import pytest

from wincloud.errors import ConfigError, HostOperationFailed, VmNotFound
from wincloud.hyperv.cinder.volumes import BackendSettings, IscsiVolumes
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import VmAction, VmSpec
from wincloud.hyperv.iscsi import IscsiPortal
from wincloud.hyperv.nova.volumeops import VolumeOps, iscsi_target


def hosts() -> tuple[FakeHost, FakeHost, IscsiVolumes, VolumeOps]:
    storage = FakeHost(name="storage", hostname="STORAGE01")
    storage.set_iscsi_portals([IscsiPortal("192.0.2.10", 3260)])
    compute = FakeHost(name="compute", hostname="HV01")
    compute.iscsi_reach("192.0.2.10:3260", storage)
    backend = IscsiVolumes(storage, BackendSettings(volume_dir="D:\\vols", use_chap=True))
    backend.check_setup()
    compute.create_vm(VmSpec("instance-1"))
    compute.set_vm_state("instance-1", VmAction.START)
    return storage, compute, backend, VolumeOps(compute)


def test_attach_and_detach_with_the_connection_info_cinder_returns():
    storage, compute, backend, ops = hosts()
    connector = ops.connector("192.0.2.21", "hv01")
    assert connector["initiator"] == "iqn.1991-05.com.microsoft:hv01"
    backend.create("volume-1", 1)
    export = backend.export("volume-1")
    props = backend.connect("volume-1", connector["initiator"], provider_auth=export.auth)
    info = {"driver_volume_type": "iscsi", "data": props}

    disk = ops.attach("instance-1", info)
    assert compute.list_passthrough("instance-1") == [disk]
    assert [s.target_iqn for s in compute.iscsi_sessions()] == [props["target_iqn"]]

    ops.detach("instance-1", info)
    assert compute.list_passthrough("instance-1") == []
    assert compute.iscsi_sessions() == []
    ops.detach("instance-1", info)  # already detached
    backend.disconnect("volume-1", connector["initiator"])
    assert storage.get_iscsi_target("volume-1").initiator_ids == ()


def test_an_initiator_cinder_did_not_allow_cannot_log_in():
    _, _, backend, ops = hosts()
    backend.create("volume-1", 1)
    export = backend.export("volume-1")
    props = backend.connect("volume-1", "iqn.2026-12.net.example:other", provider_auth=export.auth)
    with pytest.raises(HostOperationFailed, match="does not allow"):
        ops.attach("instance-1", {"driver_volume_type": "iscsi", "data": props})


def test_a_failed_passthrough_attach_logs_the_session_out():
    _, compute, backend, ops = hosts()
    backend.create("volume-1", 1)
    export = backend.export("volume-1")
    props = backend.connect(
        "volume-1", ops.connector("", "hv01")["initiator"], provider_auth=export.auth
    )
    with pytest.raises(VmNotFound):
        ops.attach("no-such-vm", {"driver_volume_type": "iscsi", "data": props})
    assert compute.iscsi_sessions() == []


def test_connection_info_that_is_not_iscsi_or_not_chap_is_refused():
    with pytest.raises(ConfigError, match="iSCSI volumes only"):
        iscsi_target({"driver_volume_type": "rbd", "data": {}})
    with pytest.raises(ConfigError, match="lacks"):
        iscsi_target({"driver_volume_type": "iscsi", "data": {"target_iqn": "x"}})
    data = {"target_portal": "p:3260", "target_iqn": "x", "target_lun": 0, "auth_method": "KRB"}
    with pytest.raises(ConfigError, match="CHAP only"):
        iscsi_target({"driver_volume_type": "iscsi", "data": data})
    portal, iqn, lun, chap = iscsi_target(
        {"driver_volume_type": "iscsi", "data": {**data, "auth_method": None, "target_lun": "1"}}
    )
    assert (portal, iqn, lun, chap) == ("p:3260", "x", 1, None)


def test_detach_all_takes_every_iscsi_volume_of_the_instance_off():
    _, compute, backend, ops = hosts()
    infos = []
    for name in ("volume-1", "volume-2"):
        backend.create(name, 1)
        export = backend.export(name)
        props = backend.connect(name, compute.iscsi_initiator_name(), provider_auth=export.auth)
        infos.append({"driver_volume_type": "iscsi", "data": props})
        ops.attach("instance-1", infos[-1])
    assert len(compute.list_passthrough("instance-1")) == 2
    ops.detach_all(
        "instance-1",
        {
            "block_device_mapping": [
                {"connection_info": i, "mount_device": "/dev/sdb"} for i in infos
            ]
        },
    )
    assert compute.list_passthrough("instance-1") == []
    assert compute.iscsi_sessions() == []


def test_a_host_without_an_initiator_is_refused():
    with pytest.raises(ConfigError):
        VolumeOps(object())
