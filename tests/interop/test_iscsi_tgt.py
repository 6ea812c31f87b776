"""The connection info the Cinder backend hands to Nova really logs in: Debian's user-space iSCSI
target (tgt) is configured from it (target IQN, portal, LUN, the allowed initiator, CHAP) with a
local sparse file the size of the fake host's volume, and libiscsi's initiator tools
(iscsi-inq, iscsi-readcapacity16) log in over 127.0.0.1. Wrong CHAP secrets and other initiators
are refused. Skipped with the reason when tgt/libiscsi-bin are missing or we are not root,
except in CI (CI=true), where that fails: .ci/run installs them and runs as root."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wincloud.hyperv.cinder.volumes import BackendSettings, IscsiVolumes
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.iscsi import IscsiPortal

pytestmark = pytest.mark.interop

INITIATOR = "iqn.1991-05.com.microsoft:hv01.example.net"
TOOLS = ("tgtd", "tgtadm", "iscsi-inq", "iscsi-readcapacity16")


def _require() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    reason = ""
    if missing:
        reason = f"{', '.join(missing)} missing (apt-get install tgt libiscsi-bin)"
    elif os.geteuid() != 0:
        reason = "tgtd needs root (its control socket lives in /var/run/tgtd)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} in CI: .ci/run installs tgt and libiscsi-bin and runs as root")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Tgt:
    """One tgtd on 127.0.0.1:<port> with its own control port (no clash with a system tgtd)."""

    def __init__(self, port: int, control: int, log: Path) -> None:
        self.port, self.control = port, control
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            ["tgtd", "-f", "--iscsi", f"portal=127.0.0.1:{port}", "-C", str(control)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # bounded: until it answers or 10 s
            if self.adm("--mode", "target", "--op", "show", check=False).returncode == 0:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tgtd did not start: {log.read_text(errors='replace')[-500:]}")

    def adm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tgtadm", "-C", str(self.control), "--lld", "iscsi", *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=10,
        )

    def stop(self) -> None:
        # tgtd ignores SIGTERM while targets exist: delete them, then ask the daemon to exit
        if self.proc.poll() is None:
            self.adm("--mode", "target", "--op", "delete", "--tid", "1", "--force", check=False)
            self.adm("--mode", "system", "--op", "delete", check=False)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


@pytest.fixture
def tgt(tmp_path: Path) -> Iterator[Tgt]:
    _require()
    control = 100 + (os.getpid() + time.monotonic_ns()) % 900  # tgtd takes small numbers
    daemon = Tgt(_free_port(), control, tmp_path / "tgtd.log")
    yield daemon
    daemon.stop()


def _connection(port: int) -> tuple[dict[str, Any], int]:
    """The backend's connection properties for a 1 GiB volume on a fake host, with CHAP."""
    host = FakeHost(hostname="STORAGE01")
    host.set_iscsi_portals([IscsiPortal("127.0.0.1", port)])
    vols = IscsiVolumes(
        host,
        BackendSettings(volume_dir="D:\\vols", portals=(f"127.0.0.1:{port}",), use_chap=True),
    )
    vols.check_setup()
    disk = vols.create("volume-1", 1)
    export = vols.export("volume-1")
    # tgt reserves LUN 0 for its controller device: number this volume's LUN from 1 on the host,
    # as a Windows operator may; the driver reads the LUN back from the target
    host.unmap_iscsi_disk(export.target_name, disk.path)
    host.map_iscsi_disk(export.target_name, disk.path, lun=1)
    props = vols.connect("volume-1", INITIATOR, provider_auth=export.auth)
    return props, disk.size_bytes


def _configure(tgt: Tgt, props: dict[str, Any], backing: Path) -> None:
    tgt.adm("--mode", "target", "--op", "new", "--tid", "1", "-T", props["target_iqn"])
    lun = str(props["target_lun"])
    tgt.adm("--mode", "logicalunit", "--op", "new", "--tid", "1", "--lun", lun, "-b", str(backing))
    tgt.adm("--mode", "target", "--op", "bind", "--tid", "1", "--initiator-name", INITIATOR)
    user, password = props["auth_username"], props["auth_password"]
    tgt.adm("--mode", "account", "--op", "new", "--user", user, "--password", password)
    tgt.adm("--mode", "account", "--op", "bind", "--tid", "1", "--user", user)


def _url(props: dict[str, Any], password: str | None = None) -> str:
    secret = props["auth_password"] if password is None else password
    auth = f"{props['auth_username']}%{secret}@"
    return f"iscsi://{auth}{props['target_portal']}/{props['target_iqn']}/{props['target_lun']}"


def _run(tool: str, url: str, initiator: str = INITIATOR) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool, "-i", initiator, url], capture_output=True, text=True, timeout=20, check=False
    )


def test_the_connection_info_logs_in_with_chap_and_reads_the_volume_size(tgt, tmp_path):
    props, size = _connection(tgt.port)
    assert props["target_portal"] == f"127.0.0.1:{tgt.port}"
    assert props["auth_method"] == "CHAP"
    backing = tmp_path / "volume-1.img"
    with backing.open("wb") as f:
        f.truncate(size)  # sparse, the fake volume's size
    _configure(tgt, props, backing)

    inq = _run("iscsi-inq", _url(props))
    assert inq.returncode == 0, inq.stderr
    assert "DIRECT_ACCESS" in inq.stdout

    cap = _run("iscsi-readcapacity16", _url(props))
    assert cap.returncode == 0, cap.stderr
    assert f"Total size:{size}" in cap.stdout


def test_a_wrong_secret_and_another_initiator_are_refused(tgt, tmp_path):
    props, size = _connection(tgt.port)
    backing = tmp_path / "volume-1.img"
    with backing.open("wb") as f:
        f.truncate(size)
    _configure(tgt, props, backing)

    wrong = _run("iscsi-inq", _url(props, password="x" * len(props["auth_password"])))
    assert wrong.returncode != 0 and "Authentication failure" in wrong.stderr
    other = _run("iscsi-inq", _url(props), initiator="iqn.2026-12.net.example:intruder")
    assert other.returncode != 0
