"""Run Debian cloud-init's readers (importable by /usr/bin/python3 only) as subprocesses."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

DEBIAN_PYTHON = Path("/usr/bin/python3")
PROBES = Path(__file__).parent / "probes"


def have_cloudinit() -> bool:
    if not DEBIAN_PYTHON.exists():
        return False
    done = subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import cloudinit.sources.helpers.openstack"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


requires_cloudinit = pytest.mark.skipif(
    not have_cloudinit(), reason="Debian's cloud-init is not installed (apt-get install cloud-init)"
)


def run_probe(name: str, *args: str, timeout: float = 60) -> Any:
    done = subprocess.run(
        [str(DEBIAN_PYTHON), str(PROBES / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)
