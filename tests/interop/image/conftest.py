"""Synthetic Windows disks built once per session (libguestfs tests are slow: ~15-30 s per
appliance under TCG)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.image_disks import DiskSpec, build_disk, build_virtio_iso, build_virtio_tree

TOOLS = (
    "guestfish",
    "virt-inspector",
    "qemu-img",
    "mkntfs",
    "wimlib-imagex",
    "sgdisk",
    "mkfs.vfat",
    "mcopy",
    "hivexregedit",
    "genisoimage",
)


@pytest.fixture(scope="session")
def image_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing tools: {', '.join(missing)} (see .ci/run)")


@pytest.fixture(scope="session")
def uefi_disk(tmp_path_factory: pytest.TempPathFactory, image_tools: None) -> Path:
    """A generalized 2022 UEFI disk without the agent and without VirtIO drivers."""
    out = tmp_path_factory.mktemp("disks") / "ws2022-uefi.img"
    return build_disk(out, DiskSpec(agent=False, drivers={}))


@pytest.fixture(scope="session")
def virtio_iso(tmp_path_factory: pytest.TempPathFactory, image_tools: None) -> Path:
    work = tmp_path_factory.mktemp("virtio")
    tree = build_virtio_tree(work / "virtio-win-0.1.266")
    return build_virtio_iso(work / "virtio-win-0.1.266.iso", tree)
