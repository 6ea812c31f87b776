"""`wincloud image inspect` stopped with SIGTERM stops its libguestfs appliance: the guestfish
server runs as a daemon and, with its QEMU, outlived a terminated command."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.e2e.image.procs import pids_using, wait_for

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("guestfish", "qemu-img")),
    reason="libguestfs-tools and qemu-utils needed",
)


def test_sigterm_stops_the_guestfish_server_and_its_qemu(tmp_path):
    image = tmp_path / f"sigterm-{os.getpid()}.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(image), "64M"], check=True)
    marker = image.name
    argv = [sys.executable, "-m", "wincloud", "image", "inspect", str(image)]
    command = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    gone = False
    try:
        started = wait_for(lambda: bool(pids_using(marker, skip=command.pid)), 60)
        assert started, "guestfish never started"
        time.sleep(2)  # inside the appliance's launch (it takes 15-30 s here)
        command.send_signal(signal.SIGTERM)
        code = command.wait(timeout=120)
        gone = wait_for(lambda: not pids_using(marker), 60)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait(timeout=10)
        for pid in pids_using(marker):  # never leave one behind, whatever the outcome
            os.kill(pid, signal.SIGKILL)
    assert code != 0
    assert gone, "the guestfish server or its QEMU outlived the command"
