"""The volume backend's decisions on a FakeHost: what a Cinder volume, snapshot, export and
connection become on the Windows iSCSI Target Server (state asserted on the host)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wincloud.errors import ConfigError, HostObjectNotFound
from wincloud.hyperv import vhd
from wincloud.hyperv.cinder.volumes import BackendSettings, IscsiVolumes, parse_auth
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.iscsi import IscsiPortal
from wincloud.secret import Secret

GIB = 1024**3
DIR = "D:\\iSCSIVirtualDisks"
NOVA = "iqn.1991-05.com.microsoft:compute01"


def backend(**overrides: object) -> tuple[IscsiVolumes, FakeHost]:
    host = FakeHost(hostname="STORAGE01")
    host.set_iscsi_portals([IscsiPortal("192.0.2.10", 3260), IscsiPortal("198.51.100.10", 3260)])
    values: dict[str, object] = {"volume_dir": DIR, "portals": ("192.0.2.10:3260",)}
    values.update(overrides)
    vols = IscsiVolumes(host, BackendSettings(**values))  # type: ignore[arg-type]
    vols.check_setup()
    return vols, host


def test_a_volume_is_a_vhdx_in_the_folder_and_delete_removes_disk_target_and_file():
    vols, host = backend()
    vols.create("volume-1", 2)
    disk = host.get_iscsi_disk(f"{DIR}\\volume-1.vhdx")
    assert disk is not None and disk.size_bytes == 2 * GIB and disk.description == "volume-1"
    vols.export("volume-1")
    vols.delete("volume-1")
    assert host.get_iscsi_disk(f"{DIR}\\volume-1.vhdx") is None
    assert host.get_iscsi_target("volume-1") is None
    assert not host.file_exists(f"{DIR}\\volume-1.vhdx")
    vols.delete("volume-1")  # twice is fine


def test_extend_grows_the_disk():
    vols, host = backend()
    vols.create("volume-1", 1)
    vols.extend("volume-1", 3)
    assert host.get_vhd(f"{DIR}\\volume-1.vhdx").size_bytes == 3 * GIB


def test_export_maps_lun_0_once_and_connect_allows_the_initiator_on_the_chosen_portal():
    vols, host = backend()
    vols.create("volume-1", 1)
    first = vols.export("volume-1")
    assert vols.export("volume-1") == first and first.auth is None
    props = vols.connect("volume-1", NOVA)
    target = host.get_iscsi_target("volume-1")
    assert target is not None and target.initiator_ids == (f"IQN:{NOVA}",)
    assert props == {
        "target_discovered": False,
        "target_portal": "192.0.2.10:3260",
        "target_iqn": target.iqn,
        "target_lun": 0,
    }
    vols.connect("volume-1", NOVA)  # again: still one entry
    assert host.get_iscsi_target("volume-1").initiator_ids == (f"IQN:{NOVA}",)
    vols.disconnect("volume-1", NOVA)
    assert host.get_iscsi_target("volume-1").initiator_ids == ()


def test_chap_is_generated_per_volume_and_handed_to_the_initiator():
    vols, host = backend(use_chap=True)
    vols.create("volume-1", 1)
    export = vols.export("volume-1")
    method, user, secret = parse_auth(export.auth) or ("", "", Secret(""))
    assert method == "CHAP" and 12 <= len(secret.reveal()) <= 16
    target = host.get_iscsi_target("volume-1")
    assert target is not None and (target.chap_enabled, target.chap_user) == (True, user)
    props = vols.connect("volume-1", NOVA, provider_auth=export.auth, multipath=True)
    assert (props["auth_method"], props["auth_username"]) == ("CHAP", user)
    assert props["auth_password"] == secret.reveal()
    assert props["target_portals"] == ["192.0.2.10:3260"] and props["target_luns"] == [0]


def test_configured_chap_credentials_are_used_as_given():
    vols, host = backend(use_chap=True, chap_username="cinder", chap_password=Secret("s" * 14))
    vols.create("volume-1", 1)
    assert vols.export("volume-1").auth == "CHAP cinder " + "s" * 14
    assert host.get_iscsi_target("volume-1").chap_user == "cinder"


def test_no_available_portal_is_a_config_error_naming_the_wanted_one():
    with pytest.raises(ConfigError) as info:
        backend(portals=("203.0.113.1:3260",))
    assert "203.0.113.1:3260" in str(info.value.subject)


def test_connect_without_an_export_says_so():
    vols, _ = backend()
    vols.create("volume-1", 1)
    with pytest.raises(HostObjectNotFound) as info:
        vols.connect("volume-1", NOVA)
    assert "attach the volume again" in (info.value.hint or "")


def test_snapshot_then_volume_from_it_is_a_larger_independent_disk():
    vols, host = backend()
    vols.create("volume-1", 1)
    snapshot_id = vols.snapshot("volume-1", "snapshot-1")
    assert vols.find_snapshot("volume-1", "snapshot-1") == snapshot_id
    vols.from_snapshot("volume-2", 2, snapshot_id)
    disk = host.get_iscsi_disk(f"{DIR}\\volume-2.vhdx")
    assert disk is not None and disk.size_bytes == 2 * GIB
    vols.delete_snapshot(snapshot_id)
    vols.delete("volume-1")
    assert host.get_iscsi_disk(f"{DIR}\\volume-2.vhdx") is not None


def test_clone_leaves_no_temporary_snapshot():
    vols, host = backend()
    vols.create("volume-1", 1)
    vols.clone("volume-2", 1, "volume-1")
    assert host.get_iscsi_disk(f"{DIR}\\volume-2.vhdx") is not None
    assert host.list_iscsi_snapshots() == []


def test_an_image_written_to_a_volume_reads_back_with_its_bytes(tmp_path: Path):
    vols, host = backend(chunk_bytes=64 * 1024)
    vols.create("volume-1", 1)
    raw = tmp_path / "image.raw"
    raw.write_bytes(b"\xeb\x52\x90NTFS    " + bytes(range(256)) * 16 + bytes(1024 * 1024 - 4107))
    vhdx = tmp_path / "volume.vhdx"
    vhd.write_from_stream(vhdx, [vhd.open_disk(raw).read(0, 1024 * 1024)], size=1024 * 1024)
    vhd.resize(vhdx, GIB)
    vols.write_image("volume-1", vhdx)
    assert host.get_iscsi_disk(f"{DIR}\\volume-1.vhdx").size_bytes == GIB
    out = tmp_path / "out.vhdx"
    assert vols.read_image("volume-1", out) == vhdx.stat().st_size
    with vhd.open_disk(out) as disk:
        assert disk.read(0, 4107) == raw.read_bytes()[:4107]
    assert host.list_iscsi_snapshots() == []
    assert [e.name for e in host.list_dir(DIR)] == ["volume-1.vhdx"]  # staging file removed
