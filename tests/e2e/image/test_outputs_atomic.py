"""Output files are written whole or not at all: a write that fails half-way (here a file size
limit, as a full disk would) leaves the file that was there before untouched, and no temporary
file behind. Runs the CLI in a child process whose RLIMIT_FSIZE is smaller than the output."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from tests.unit.image.build.conftest import write_spec_files

LIMIT = 2048
"""Bytes a child may write to one file: less than an answer file (about 6 KB) or an answer CD."""


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def run_limited(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wincloud", "image", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limited,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )


def _old(path: Path) -> bytes:
    data = b"<previous good file>\n" * 10
    path.write_bytes(data)
    return data


def test_unattend_out_cut_short_keeps_the_old_file(tmp_path):
    spec = write_spec_files(tmp_path / "spec")
    out = tmp_path / "out" / "autounattend.xml"
    out.parent.mkdir()
    old = _old(out)
    done = run_limited("unattend", str(spec), "--out", str(out))
    assert done.returncode != 0
    assert str(out) in done.stderr and "Traceback" not in done.stderr
    assert out.read_bytes() == old
    assert os.listdir(out.parent) == ["autounattend.xml"]


def test_media_out_cut_short_keeps_the_old_file(tmp_path):
    spec = write_spec_files(tmp_path / "spec")
    out = tmp_path / "out" / "answer.iso"
    out.parent.mkdir()
    old = _old(out)
    done = run_limited("media", str(spec), "--out", str(out))
    assert done.returncode != 0
    assert str(out) in done.stderr and "Traceback" not in done.stderr
    assert out.read_bytes() == old
    assert os.listdir(out.parent) == ["answer.iso"]
