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
from wincloud.errors import (
    ConfigError,
    HostObjectExists,
    HostObjectNotFound,
    HostOperationFailed,
    PathInUse,
)
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import VmAction, VmSpec
from wincloud.hyperv.iscsi import (
    IscsiDisk,
    IscsiInitiator,
    IscsiPortal,
    IscsiSnapshot,
    IscsiTarget,
    IscsiTargetInfo,
)
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

    def initiator(p: dict[str, Any]) -> list[str]:
        action = p["Action"]
        if action == "name":
            return [custom(cx.s("NodeAddress", fake.iscsi_initiator_name()))]
        if action == "login":
            chap = (p["ChapUser"], Secret(p["ChapSecret"])) if p.get("ChapSecret") else None
            portal = f"{p['PortalAddress']}:{p['PortalPort']}"
            disk = fake.iscsi_login(portal, p["TargetIqn"], p["Lun"], chap=chap)
            return [custom(cx.i32("DiskNumber", disk))]
        if action == "logout":
            fake.iscsi_logout(p["TargetIqn"])
            return []
        if action == "sessions":
            return [
                custom(
                    cx.s("TargetIqn", x.target_iqn),
                    cx.s("Portal", x.portal),
                    cx.string_array("Disks", 1, [f"{lun}|{n}" for lun, n in x.disks]),
                )
                for x in fake.iscsi_sessions()
            ]
        if action == "attach":
            location = fake.attach_passthrough(p["VMName"], p["DiskNumber"])
            return [custom(cx.i32("Location", location))]
        if action == "detach":
            fake.detach_passthrough(p["VMName"], p["DiskNumber"])
            return []
        return [custom(cx.i32("DiskNumber", n)) for n in fake.list_passthrough(p["VMName"])]

    return {
        "iscsi_initiator": initiator,
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


# ---- the initiator side (a Hyper-V host logging in to another host's target) ----------------
def _storage(initiator_iqn: str) -> tuple[FakeHost, str]:
    storage = FakeHost(name="storage", hostname="STORAGE01")
    storage.set_iscsi_portals([IscsiPortal("192.0.2.10", 3260)])
    storage.make_dir(VOLS)
    storage.new_iscsi_disk(f"{VOLS}\\v1.vhdx", GIB)
    t = storage.new_iscsi_target("v1", initiator_ids=(initiator_iqn,))
    storage.map_iscsi_disk("v1", f"{VOLS}\\v1.vhdx", lun=0)
    storage.set_iscsi_chap("v1", "chapuser", Secret("0123456789abcdef"))
    return storage, t.iqn


def test_login_attach_passthrough_detach_logout(iscsi):
    host = iscsi.host
    assert isinstance(host, IscsiInitiator)
    name = host.iscsi_initiator_name()
    assert name.startswith("iqn.1991-05.com.microsoft:")
    storage, iqn = _storage(name)
    iscsi.control.iscsi_reach("192.0.2.10:3260", storage)
    host.create_vm(VmSpec("vm1"))
    host.set_vm_state("vm1", VmAction.START)

    chap = ("chapuser", Secret("0123456789abcdef"))
    disk = host.iscsi_login("192.0.2.10:3260", iqn, 0, chap=chap)
    assert host.iscsi_login("192.0.2.10:3260", iqn, 0, chap=chap) == disk  # one session
    [session] = host.iscsi_sessions()
    assert (session.target_iqn, session.portal, session.disk_of(0)) == (
        iqn,
        "192.0.2.10:3260",
        disk,
    )
    location = host.attach_passthrough("vm1", disk)
    assert location == 0 and host.list_passthrough("vm1") == [disk]
    with pytest.raises(PathInUse):
        host.iscsi_logout(iqn)
    host.detach_passthrough("vm1", disk)
    host.detach_passthrough("vm1", disk)  # not attached is fine
    assert host.list_passthrough("vm1") == []
    host.iscsi_logout(iqn)
    host.iscsi_logout(iqn)
    assert host.iscsi_sessions() == []


def test_login_is_refused_without_chap_for_another_initiator_and_for_a_missing_lun(iscsi):
    host = iscsi.host
    assert isinstance(host, IscsiInitiator)
    storage, iqn = _storage(host.iscsi_initiator_name())
    iscsi.control.iscsi_reach("192.0.2.10:3260", storage)
    with pytest.raises(HostOperationFailed, match="authentication"):
        host.iscsi_login("192.0.2.10:3260", iqn, 0, chap=("chapuser", Secret("x" * 16)))
    with pytest.raises(HostOperationFailed, match="authentication"):
        host.iscsi_login("192.0.2.10:3260", iqn, 0)
    storage.set_iscsi_initiators("v1", ("iqn.2026-12.net.example:other",))
    with pytest.raises(HostOperationFailed, match="does not allow"):
        host.iscsi_login("192.0.2.10:3260", iqn, 0, chap=("chapuser", Secret("0123456789abcdef")))
    storage.set_iscsi_initiators("v1", (host.iscsi_initiator_name(),))
    with pytest.raises(HostObjectNotFound):
        host.iscsi_login("192.0.2.10:3260", iqn, 5, chap=("chapuser", Secret("0123456789abcdef")))
    with pytest.raises(HostOperationFailed):  # nothing answers at that portal
        host.iscsi_login("203.0.113.9:3260", "iqn.2026-12.net.example:none", 0)
