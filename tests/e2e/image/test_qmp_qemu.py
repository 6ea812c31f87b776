"""QMP send-key and screendump against a real QEMU (paused, then running SeaBIOS)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.e2e.image.fakeguest import missing_tools
from wincloud.image.build import _spawn
from wincloud.image.build.qmp import QmpClient, QmpError
from wincloud.image.build.runner import save_screenshot


@pytest.fixture
def qemu_qmp(tmp_path):
    if missing_tools():
        pytest.skip(missing_tools())
    with tempfile.TemporaryDirectory(prefix="wc-qmp-") as sock_dir:
        sock = Path(sock_dir) / "qmp"
        proc = _spawn.Process(
            [
                "qemu-system-x86_64",
                "-machine",
                "q35,accel=tcg",
                "-nodefaults",
                "-display",
                "none",
                "-vga",
                "std",
                "-m",
                "64",
                "-qmp",
                f"unix:{sock},server=on,wait=off",
            ],
            log=tmp_path / "qemu.log",
        )
        try:
            client = QmpClient.connect(sock, timeout=15, alive=lambda: proc.poll() is None)
            yield client, proc
            client.close()
        finally:
            proc.stop(grace=5)


def test_screendump_writes_the_screen(qemu_qmp, tmp_path):
    client, _ = qemu_qmp
    raw = tmp_path / "screen.ppm"
    client.screendump(raw)
    header = raw.read_bytes()[:2]
    assert header == b"P6"
    png = save_screenshot(raw, tmp_path / "screen")
    from PIL import Image

    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] >= 640


def test_send_key_is_accepted_and_bad_key_refused(qemu_qmp):
    client, _ = qemu_qmp
    client.send_key("spc")
    client.send_key("ctrl", "alt", "delete")
    with pytest.raises(QmpError, match="nosuchkey"):
        client.send_key("nosuchkey")


def test_quit_ends_qemu(qemu_qmp):
    client, proc = qemu_qmp
    client.execute("quit")
    assert proc.wait(15) == 0
