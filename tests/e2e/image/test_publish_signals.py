"""`wincloud image publish` stopped with SIGTERM or SIGHUP while it converts the image removes
its converted copy (as large as the image, next to it) as Ctrl-C does: before, the process
died at once and left `.wincloud-publish-*/` behind. The conversion is a stand-in qemu-img
that writes its output and then waits, so the signal arrives mid-conversion every time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.e2e.image.procs import pids_using, wait_for
from tests.image_publish_data import report_doc
from tests.unit.image.build.conftest import write_spec_files

REPORT = report_doc(format="raw", actual_size=1 << 20)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_conversion_removes_the_converted_copy(tmp_path, signum):
    marker = f"fake-qemu-img-{os.getpid()}-{signum}"
    bin_dir = tmp_path / marker
    bin_dir.mkdir()
    fake = bin_dir / "qemu-img"
    # no exec: the waiting shell keeps the marker in its command line, so the test finds it
    fake.write_text(
        '#!/bin/sh\nfor a; do out="$a"; done\necho partial > "$out"\n'
        "i=0; while [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done\n"
    )
    fake.chmod(0o755)
    spec = write_spec_files(tmp_path / "spec")
    report = tmp_path / "report.json"
    report.write_text(json.dumps(REPORT))
    images = tmp_path / "images"
    images.mkdir()
    image = images / "ws.raw"
    image.write_bytes(bytes(1 << 20))  # raw data: publish.disk_format qcow2 converts it
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    argv = [sys.executable, "-m", "wincloud", "image", "publish", str(image)]
    argv += ["--spec", str(spec), "--report", str(report)]
    publish = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
    try:
        assert wait_for(lambda: any(images.glob(".wincloud-publish-*/*.qcow2")), 30), (
            "the conversion never started"
        )
        publish.send_signal(signum)
        code = publish.wait(timeout=30)
    finally:
        if publish.poll() is None:
            publish.kill()
            publish.wait(timeout=10)
        for pid in pids_using(marker):
            os.kill(pid, signal.SIGKILL)
    assert code != 0
    assert sorted(p.name for p in images.iterdir()) == ["ws.raw"]
