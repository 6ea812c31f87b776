"""The volume backend over PowerShell remoting: the same runbook through PsrpHost and the
localhost replay server (our iscsi_* scripts' parameters, CLIXML answers), state on the fake
behind the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.hyperv.contract.test_iscsi import iscsi_handlers
from wincloud.hyperv import vhd
from wincloud.hyperv.cinder.volumes import BackendSettings, IscsiVolumes, parse_auth
from wincloud.hyperv.psrp import PsrpHost

GIB = 1024**3
DIR = "D:\\iSCSIVirtualDisks"
NOVA = "iqn.1991-05.com.microsoft:compute01"


def test_the_volume_runbook_over_psrp(replay, tmp_path: Path):
    replay.server.backend.handlers.update(iscsi_handlers(replay.fake))
    host = PsrpHost(replay.settings(), write_chunk_bytes=1 << 20)
    try:
        _runbook(host, replay, tmp_path)
    finally:
        host.close()


def _runbook(psrp_host: PsrpHost, replay: Any, tmp_path: Path) -> None:
    settings = BackendSettings(volume_dir=DIR, use_chap=True, chunk_bytes=1 << 20)
    vols = IscsiVolumes(psrp_host, settings)
    assert [p.location for p in vols.check_setup()] == ["127.0.0.1:3260"]
    vols.create("volume-1", 1)
    vols.extend("volume-1", 2)
    export = vols.export("volume-1")
    props = vols.connect("volume-1", NOVA, provider_auth=export.auth)
    target = replay.fake.get_iscsi_target("volume-1")
    assert target is not None and target.initiator_ids == (f"IQN:{NOVA}",)
    assert props["target_iqn"] == target.iqn and props["target_lun"] == 0
    auth = parse_auth(export.auth)
    assert auth is not None and target.chap_user == auth[1]
    vols.disconnect("volume-1", NOVA)
    vols.unexport("volume-1")

    snapshot_id = vols.snapshot("volume-1", "snapshot-1")
    vols.from_snapshot("volume-2", 3, snapshot_id)
    assert replay.fake.get_iscsi_disk(f"{DIR}\\volume-2.vhdx").size_bytes == 3 * GIB
    vols.delete_snapshot(snapshot_id)

    image = tmp_path / "image.vhdx"
    vhd.write_from_stream(image, [b"\x5a" * 8192, bytes(8192 * 127)], size=8192 * 128)
    vhd.resize(image, GIB)
    vols.write_image("volume-1", image)
    out = tmp_path / "out.vhdx"
    vols.read_image("volume-1", out)
    with vhd.open_disk(out) as disk:
        assert disk.read(0, 8192) == b"\x5a" * 8192

    vols.delete("volume-1")
    vols.delete("volume-2")
    assert replay.fake.list_iscsi_disks() == []
    assert replay.fake.list_dir(DIR) == []
    assert {c.script for c in replay.server.calls} >= {
        "iscsi_server",
        "iscsi_disk",
        "iscsi_target",
        "iscsi_snapshot",
        "write_chunk",
        "read_file",
    }
