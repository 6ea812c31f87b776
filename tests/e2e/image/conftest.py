"""The fake-guest scenarios run once per session, in parallel threads (each is a TCG QEMU
booting Debian's kernel); the tests then look at their results."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.image.fakeguest import fake_plan, missing_tools
from wincloud.image.build.runner import BuildResult, run_plan

# Generous limits: the machine is shared; only "hang" relies on a short one.
SCENARIOS: dict[str, dict[str, Any]] = {
    "success": {},
    "error": {},
    "hang": {"timeouts": {"specialize": 3.0}, "stage_screenshots": True},
    "early": {},
    "key": {"key_window": 300.0, "boot_keys": ("ret",), "key_interval": 1.0},
}


@pytest.fixture(scope="session")
def fake_runs(tmp_path_factory) -> dict[str, tuple[BuildResult, Path]]:
    why = missing_tools()
    if why:
        pytest.skip(why)
    base = tmp_path_factory.mktemp("fake-guest")
    limits = {
        s: 300.0
        for s in ("boot", "windowspe", "specialize", "firstlogon", "drivers", "agent", "sysprep")
    }

    def one(name: str) -> tuple[BuildResult, Path]:
        folder = base / name
        folder.mkdir()
        extra = dict(SCENARIOS[name])
        timeouts = {**limits, **extra.pop("timeouts", {})}
        shots = extra.pop("stage_screenshots", False)
        plan = fake_plan(folder, name, timeouts=timeouts, **extra)
        result = run_plan(
            plan, work=folder / "work", artefacts=folder / "out", stage_screenshots=shots
        )
        return result, folder

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(one, name) for name in SCENARIOS}
        return {name: future.result(timeout=900) for name, future in futures.items()}
