"""The IscsiTarget contract: the same cases on FakeHost and on PsrpHost through the replay server.

The replay server answers our iscsi_* scripts from its FakeHost; the answers are
``[pscustomobject]`` records with the properties the scripts project (written from the
IscsiTarget cmdlet documentation, not recorded on a host).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.hyperv.contract.conftest import Subject
from tests.unit.hyperv.replay import clixml as cx
from tests.unit.hyperv.replay.backend import custom
from wincloud.errors import ConfigError, HostObjectExists, HostObjectNotFound, PathInUse
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.iscsi import IscsiDisk, IscsiSnapshot, IscsiTarget, IscsiTargetInfo
from wincloud.secret import Secret

GIB = 1024**3
VOLS = "C:\\iSCSIVirtualDisks"
INITIATOR = "iqn.1991-05.com.microsoft:hv01.example.net"


# ---- the replay server's answers for the iscsi scripts --------------------------------------
def _disk(d: IscsiDisk) -> str:
    return custom(
        cx.s("Path", d.path),
        cx.u64("Size", d.size_bytes),
        cx.s("DiskType", d.disk_type.capitalize()),
        cx.s("Description", d.description),
        cx.b("Enabled", d.enabled),
        cx.s("ParentPath", d.parent_path or ""),
        cx.s("Status", d.status),
    )


def _target(t: IscsiTargetInfo) -> str:
    return custom(
        cx.s("TargetName", t.name),
        cx.s("TargetIqn", t.iqn),
        cx.string_array("InitiatorIds", 1, list(t.initiator_ids)),
        cx.string_array("LunMappings", 2, [f"{m.lun}|{m.path}" for m in t.luns]),
        cx.b("EnableChap", t.chap_enabled),
        cx.s("ChapUserName", t.chap_user),
        cx.b("Enable", t.enabled),
        cx.s("Status", t.status),
    )


def _snapshot(s: IscsiSnapshot) -> str:
    return custom(
        cx.s("SnapshotId", s.snapshot_id),
        cx.s("OriginalPath", s.original_path),
        cx.s("Description", s.description),
        cx.dt_("TimeStamp", s.created_at),
    )


def iscsi_handlers(fake: FakeHost) -> dict[str, Any]:
    def server(p: dict[str, Any]) -> list[str]:
        return [
            custom(cx.s("Address", x.address), cx.i32("Port", x.port), cx.b("Enabled", x.enabled))
            for x in fake.iscsi_portals()
        ]

    def disk(p: dict[str, Any]) -> list[str]:
        action, path = p["Action"], p.get("Path", "")
        if action == "new":
            d = fake.new_iscsi_disk(
                path, p["SizeBytes"], description=p.get("Description", ""), fixed=p["Fixed"]
            )
            return [_disk(d)]
        if action == "import":
            return [_disk(fake.import_iscsi_disk(path, description=p.get("Description", "")))]
        if action == "get":
            found = fake.get_iscsi_disk(path)
            return [_disk(found)] if found else []
        if action == "list":
            return [_disk(d) for d in fake.list_iscsi_disks()]
        if action == "resize":
            return [_disk(fake.resize_iscsi_disk(path, p["SizeBytes"]))]
        fake.remove_iscsi_disk(path)
        return []

    def target(p: dict[str, Any]) -> list[str]:
        action, name = p["Action"], p.get("TargetName", "")
        ids = tuple(p.get("InitiatorIds") or ())
        if action == "new":
            return [_target(fake.new_iscsi_target(name, initiator_ids=ids))]
        if action == "get":
            found = fake.get_iscsi_target(name)
            return [_target(found)] if found else []
        if action == "list":
            return [_target(t) for t in fake.list_iscsi_targets()]
        if action == "initiators":
            return [_target(fake.set_iscsi_initiators(name, ids))]
        if action == "chap":
            secret = Secret(p["ChapSecret"]) if p.get("ChapSecret") else None
            return [_target(fake.set_iscsi_chap(name, p.get("ChapUser", ""), secret))]
        if action == "map":
            lun = p.get("Lun", -1)
            return [_target(fake.map_iscsi_disk(name, p["Path"], lun=None if lun < 0 else lun))]
        if action == "unmap":
            return [_target(fake.unmap_iscsi_disk(name, p["Path"]))]
        fake.remove_iscsi_target(name)
        return []

    def snapshot(p: dict[str, Any]) -> list[str]:
        action = p["Action"]
        if action == "checkpoint":
            return [_snapshot(fake.checkpoint_iscsi_disk(p["Path"], p.get("Description", "")))]
        if action == "list":
            return [_snapshot(s) for s in fake.list_iscsi_snapshots(p.get("Path") or None)]
        if action == "copy":
            fake.copy_iscsi_snapshot(p["SnapshotId"], p["Destination"])
            return []
        fake.remove_iscsi_snapshot(p["SnapshotId"])
        return []

    return {
        "iscsi_server": server,
        "iscsi_disk": disk,
        "iscsi_target": target,
        "iscsi_snapshot": snapshot,
    }


@pytest.fixture
def iscsi(subject: Subject, request: pytest.FixtureRequest) -> Subject:
    if subject.kind == "psrp":
        replay = request.getfixturevalue("replay")
        replay.server.backend.handlers.update(iscsi_handlers(replay.fake))
    subject.host.make_dir(VOLS)
    return subject


def _host(s: Subject) -> IscsiTarget:
    assert isinstance(s.host, IscsiTarget)
    return s.host


# ---- cases ----------------------------------------------------------------------------------
def test_both_hosts_implement_the_protocol(iscsi):
    assert isinstance(iscsi.host, IscsiTarget)


def test_portals_are_reported(iscsi):
    portals = _host(iscsi).iscsi_portals()
    assert [p.location for p in portals] == ["127.0.0.1:3260"]


def test_a_new_disk_is_a_vhdx_on_the_volume_and_refuses_an_existing_file(iscsi):
    host = _host(iscsi)
    disk = host.new_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB, description="volume-1")
    assert (disk.size_bytes, disk.disk_type, disk.description) == (GIB, "dynamic", "volume-1")
    assert iscsi.control.get_vhd(f"{VOLS}\\v1.vhdx").size_bytes == GIB
    assert host.get_iscsi_disk(f"{VOLS}\\V1.VHDX") is not None
    with pytest.raises(HostObjectExists):
        host.new_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB)
    assert host.get_iscsi_disk(f"{VOLS}\\none.vhdx") is None
    assert [d.path for d in host.list_iscsi_disks()] == [f"{VOLS}\\v1.vhdx"]


def test_resize_grows_and_refuses_to_shrink(iscsi):
    host = _host(iscsi)
    host.new_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB)
    assert host.resize_iscsi_disk(f"{VOLS}\\v1.vhdx", 2 * GIB).size_bytes == 2 * GIB
    assert iscsi.control.get_vhd(f"{VOLS}\\v1.vhdx").size_bytes == 2 * GIB
    with pytest.raises(Exception) as info:
        host.resize_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB)
    assert "shrink" in str(info.value)


def test_a_target_maps_a_disk_at_lun_0_with_its_initiator_and_chap(iscsi):
    host = _host(iscsi)
    host.new_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB)
    t = host.new_iscsi_target("volume-1", initiator_ids=(INITIATOR,))
    assert t.iqn.startswith("iqn.1991-05.com.microsoft:") and t.iqn.endswith("-volume-1-target")
    assert t.initiator_ids == (f"IQN:{INITIATOR}",)
    t = host.map_iscsi_disk("volume-1", f"{VOLS}\\v1.vhdx")
    assert t.lun_of(f"{VOLS}\\v1.vhdx") == 0
    assert host.map_iscsi_disk("volume-1", f"{VOLS}\\v1.vhdx").luns == t.luns  # idempotent
    t = host.set_iscsi_chap("volume-1", "chapuser", Secret("0123456789abcdef"))
    assert (t.chap_enabled, t.chap_user) == (True, "chapuser")
    assert host.get_iscsi_target("volume-1") == t
    with pytest.raises(HostObjectExists):
        host.new_iscsi_target("volume-1")


def test_chap_secrets_of_the_wrong_length_are_refused_and_chap_can_be_turned_off(iscsi):
    host = _host(iscsi)
    host.new_iscsi_target("t1")
    with pytest.raises(ConfigError):
        host.set_iscsi_chap("t1", "u", Secret("short"))
    assert host.set_iscsi_chap("t1", "u", None).chap_enabled is False


def test_initiators_are_replaced(iscsi):
    host = _host(iscsi)
    host.new_iscsi_target("t1", initiator_ids=(INITIATOR,))
    t = host.set_iscsi_initiators("t1", ("iqn.2004-10.com.ubuntu:01:abc", "IQN:" + INITIATOR))
    assert t.initiator_ids == ("IQN:iqn.2004-10.com.ubuntu:01:abc", f"IQN:{INITIATOR}")


def test_a_mapped_disk_is_neither_removed_nor_its_file_deleted(iscsi):
    host = _host(iscsi)
    path = f"{VOLS}\\v1.vhdx"
    host.new_iscsi_disk(path, GIB)
    host.new_iscsi_target("t1")
    host.map_iscsi_disk("t1", path)
    with pytest.raises(PathInUse):
        host.remove_iscsi_disk(path)
    with pytest.raises(PathInUse):
        iscsi.host.remove_path(path)
    host.unmap_iscsi_disk("t1", path)
    host.remove_iscsi_target("t1")
    host.remove_iscsi_target("t1")  # absent is fine
    host.remove_iscsi_disk(path)
    host.remove_iscsi_disk(path)
    assert iscsi.host.file_exists(path)  # the server forgot the disk, the file stays
    iscsi.host.remove_path(path)
    assert not iscsi.host.file_exists(path)


def test_a_snapshot_copied_out_and_imported_is_a_new_disk_of_the_same_size(iscsi):
    host = _host(iscsi)
    path = f"{VOLS}\\v1.vhdx"
    host.new_iscsi_disk(path, GIB)
    snap = host.checkpoint_iscsi_disk(path, "snapshot-1")
    assert snap.original_path == path and snap.description == "snapshot-1"
    host.resize_iscsi_disk(path, 2 * GIB)  # later changes do not reach the snapshot
    host.copy_iscsi_snapshot(snap.snapshot_id, f"{VOLS}\\v2.vhdx")
    copy = host.import_iscsi_disk(f"{VOLS}\\v2.vhdx", description="volume-2")
    assert copy.size_bytes == GIB and copy.description == "volume-2"
    with pytest.raises(HostObjectExists):
        host.copy_iscsi_snapshot(snap.snapshot_id, f"{VOLS}\\v2.vhdx")
    assert [s.snapshot_id for s in host.list_iscsi_snapshots(path)] == [snap.snapshot_id]
    host.remove_iscsi_snapshot(snap.snapshot_id)
    host.remove_iscsi_snapshot(snap.snapshot_id)
    assert host.list_iscsi_snapshots() == []
    with pytest.raises(HostObjectNotFound):
        host.copy_iscsi_snapshot(snap.snapshot_id, f"{VOLS}\\v3.vhdx")


def test_unknown_disks_and_targets_are_not_found(iscsi):
    host = _host(iscsi)
    with pytest.raises(HostObjectNotFound):
        host.resize_iscsi_disk(f"{VOLS}\\none.vhdx", GIB)
    with pytest.raises(HostObjectNotFound):
        host.set_iscsi_initiators("none", (INITIATOR,))
    with pytest.raises(HostObjectNotFound):
        host.checkpoint_iscsi_disk(f"{VOLS}\\none.vhdx", "x")
    assert host.get_iscsi_target("none") is None
