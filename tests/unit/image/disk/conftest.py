"""Windows volume trees (the files a synthetic disk holds) and virtio-win media, per session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.image_disks import DiskSpec, build_virtio_tree, windows_tree


@pytest.fixture(scope="session")
def _trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


@pytest.fixture
def windows_dir(
    _trees: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Callable[..., Path]:
    """A fresh copy of a Windows volume tree for a DiskSpec (built once per session)."""

    def make(**kwargs: object) -> Path:
        spec = DiskSpec(**kwargs)  # type: ignore[arg-type]
        key = repr(spec)
        if key not in _trees:
            built = tmp_path_factory.mktemp("wintree")
            windows_tree(built, spec)
            _trees[key] = built
        copy = tmp_path / f"volume-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(_trees[key], copy)
        return copy

    return make


@pytest.fixture(scope="session")
def virtio_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_virtio_tree(tmp_path_factory.mktemp("media") / "virtio-win-0.1.266")
