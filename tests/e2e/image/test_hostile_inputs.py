"""Inputs that are not regular files (a FIFO, /dev/zero) are refused before they are read:
`image check /dev/zero` read without end (memory with it) and `image check FIFO` or `image lint
FIFO` blocked forever on open. Each runs in a child with a memory limit and a timeout."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.image.build.conftest import write_spec_files


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [sys.executable, "-m", "wincloud", "image", *args],
            capture_output=True,
            text=True,
            timeout=30,
            preexec_fn=_bounded,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"wincloud image {' '.join(args)} did not return in 30 s")


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "spec.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["fifo", "zero"])
@pytest.mark.parametrize("command", ["check", "unattend", "lint"])
def test_a_fifo_or_a_device_is_refused_not_read(tmp_path, kind, command):
    path = _fifo(tmp_path) if kind == "fifo" else Path("/dev/zero")
    done = run(command, str(path))
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error[config-error]: ") and lines[0].endswith(str(path))
    assert "not a regular file" in lines[0] or "larger than" in done.stdout


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_key_file_that_is_a_fifo_or_a_device_is_refused(tmp_path, kind):
    spec = write_spec_files(tmp_path / "spec")
    key = _fifo(tmp_path) if kind == "fifo" else Path("/dev/zero")
    spec.write_text(spec.read_text().replace('"kms-client"', f'"file:{key}"'))
    done = run("check", str(spec))
    assert done.returncode == 2
    assert f"licensing.mode: key file not a regular file: {key}" in done.stderr


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_reg_file_that_is_a_fifo_or_a_device_is_refused(tmp_path, kind):
    image = tmp_path / "disk.raw"
    image.write_bytes(bytes(1 << 20))
    reg = tmp_path / "edit.reg" if kind == "fifo" else Path("/dev/zero")
    if kind == "fifo":
        os.mkfifo(reg)
    done = run("customize", str(image), "--reg", str(reg))
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert first.startswith("error[config-error]: the .reg file is not a regular file")
    assert first.endswith(str(reg))
    assert image.read_bytes() == bytes(1 << 20)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--virtio-win", "error[image-error]: the virtio-win media is neither an ISO file nor"),
        ("--agent-msi", "error[config-error]: the agent MSI is not a regular file"),
    ],
)
def test_customize_inputs_that_are_fifos_are_refused(tmp_path, option, message):
    # pycdlib's open and msiinfo blocked forever on a FIFO
    image = tmp_path / "disk.raw"
    image.write_bytes(bytes(1 << 20))
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    done = run("customize", str(image), option, str(fifo))
    assert done.returncode != 0
    first = done.stderr.splitlines()[0]
    assert first.startswith(message) and first.endswith(str(fifo))


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_publish_report_that_is_a_fifo_or_a_device_is_refused(tmp_path, kind):
    spec = write_spec_files(tmp_path / "spec")
    image = tmp_path / "disk.qcow2"
    image.write_bytes(b"QFI\xfb")
    report = tmp_path / "report.json" if kind == "fifo" else Path("/dev/zero")
    if kind == "fifo":
        os.mkfifo(report)
    done = run("publish", str(image), "--spec", str(spec), "--report", str(report), "--dry-run")
    assert done.returncode == 2
    first = done.stderr.splitlines()[0]
    assert first.startswith("error[config-error]: cannot read the inspection report (not a")
    assert first.endswith(str(report))
