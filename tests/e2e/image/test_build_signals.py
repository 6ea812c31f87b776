"""`wincloud image build` stopped with SIGTERM (kill, timeout, systemd, a cancelled CI job) or
SIGHUP (the terminal or ssh session closed) stops its QEMU and removes its partial disk (or
keeps it with --keep-disk) and its temporary folder, as Ctrl-C does. QEMU runs in its own
session: before, it kept running (4 GiB, a CPU at 100 %) after the build was gone."""

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


@pytest.mark.parametrize(
    ("signum", "keep"), [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGHUP, True)]
)
def test_signal_stops_qemu_and_drops_or_keeps_the_partial_disk(tmp_path, signum, keep):
    name = f"sig{signum}-{int(keep)}-{os.getpid()}"
    spec = write_spec_files(
        tmp_path / "spec", firmware="bios", secure_boot=False, boot=300, name=name
    )
    out = tmp_path / "out" / "ws.qcow2"
    marker = f"wincloud-{name}"
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    argv = [sys.executable, "-m", "wincloud", "image", "build", str(spec), "--out", str(out)]
    argv += ["--accel", "tcg", *(["--keep-disk"] if keep else [])]
    build = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    qemu_gone = False
    try:
        assert wait_for(lambda: bool(pids_using(marker, prefix=b"qemu-system")), 60), (
            "QEMU never started"
        )
        build.send_signal(signum)
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
    assert not out.exists()
    assert out.with_name("ws.qcow2.partial").exists() == keep
    # the operator learns where the kept disk is (the exit status alone said nothing)
    said = build.stderr.read().decode() if build.stderr else ""
    assert (f"partial disk kept at {out}.partial" in said) == keep
    assert list((tmp_path / "tmp").iterdir()) == []
