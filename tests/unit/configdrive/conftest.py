"""Fixtures for config-drive tests (the sample contents live in samples.py)."""

from __future__ import annotations

import pytest

from tests.unit.configdrive.samples import NOVA, load_tree, small_drive


@pytest.fixture
def nova_files() -> dict[str, bytes]:
    if not (NOVA / "openstack").is_dir():
        pytest.skip(f"Nova 34 reference tree not found at {NOVA}")
    return load_tree(NOVA)


@pytest.fixture
def files() -> dict[str, bytes]:
    return small_drive()
