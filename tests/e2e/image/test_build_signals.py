"""`wincloud image build` stopped with SIGTERM (kill, timeout, systemd, a cancelled CI job)
stops its QEMU and removes its partial disk and temporary folder, as Ctrl-C does. QEMU runs in
its own session: before, it kept running (4 GiB, a CPU at 100 %) after the build was gone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest

from tests.e2e.image.procs import pids_using, wait_for
from tests.unit.image.build.conftest import write_spec_files

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("qemu-system-x86_64", "qemu-img")),
    reason="qemu-system-x86 and qemu-utils needed",
)


def test_sigterm_stops_qemu_and_removes_the_partial_disk(tmp_path):
    name = f"sigterm-{os.getpid()}"
    spec = write_spec_files(
        tmp_path / "spec", firmware="bios", secure_boot=False, boot=300, name=name
    )
    out = tmp_path / "out" / "ws.qcow2"
    marker = f"wincloud-{name}"
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    argv = [sys.executable, "-m", "wincloud", "image", "build", str(spec), "--out", str(out)]
    build = subprocess.Popen([*argv, "--accel", "tcg"], env=env, stderr=subprocess.PIPE)
    qemu_gone = False
    try:
        assert wait_for(lambda: bool(pids_using(marker, prefix=b"qemu-system")), 60), (
            "QEMU never started"
        )
        build.send_signal(signal.SIGTERM)
        code = build.wait(timeout=60)
        qemu_gone = wait_for(lambda: not pids_using(marker, prefix=b"qemu-system"), 15)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait(timeout=10)
        for pid in pids_using(
            marker, prefix=b"qemu-system"
        ):  # never leave one behind, whatever the outcome
            os.kill(pid, signal.SIGKILL)
    assert code != 0
    assert qemu_gone, "QEMU outlived the build"
    assert not out.exists() and not out.with_name("ws.qcow2.partial").exists()
    assert list((tmp_path / "tmp").iterdir()) == []
