"""Fixtures for the Nova driver's host steps: a fresh fake host, settings, a small VHDX image."""

from __future__ import annotations

from pathlib import Path

import pytest

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.nova.imagecache import ImageCache
from wincloud.hyperv.nova.plan import DriverSettings, Flavor, ImageFacts, SpawnRequest
from wincloud.hyperv.nova.vmops import InstanceOps
from wincloud.hyperv.vhd import create_disk

GIB = 1024**3
IMAGE_ID = "0b8e3b52-2a4f-4a55-9e51-6f1c4b0a1c01"
INSTANCE_UUID = "5d6f2a40-7d0e-4f1b-8f0a-3c2d1e0f9a01"


@pytest.fixture(scope="session")
def vhdx_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = Path(tmp_path_factory.mktemp("img")) / "base.vhdx"
    create_disk(path, 2 * GIB, fmt="vhdx")
    return path.read_bytes()


@pytest.fixture
def host() -> FakeHost:
    return FakeHost(hostname="HV01")


@pytest.fixture
def settings() -> DriverSettings:
    return DriverSettings(vswitch="external", chunk_bytes=64 * 1024, progress_every_bytes=1 << 20)


@pytest.fixture
def ops(host: FakeHost, settings: DriverSettings) -> InstanceOps:
    ops = InstanceOps(host, settings)
    ops.check_host()
    return ops


@pytest.fixture
def cache(host: FakeHost, settings: DriverSettings) -> ImageCache:
    return ImageCache(host, settings)


@pytest.fixture
def image(vhdx_bytes: bytes) -> ImageFacts:
    return ImageFacts(image_id=IMAGE_ID, disk_format="vhdx", size_bytes=len(vhdx_bytes))


def chunks_of(data: bytes, size: int = 64 * 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def spawn_request(image: ImageFacts, **overrides: object) -> SpawnRequest:
    values: dict[str, object] = {
        "name": "instance-00000001",
        "instance_uuid": INSTANCE_UUID,
        "flavor": Flavor(vcpus=2, memory_mb=2048, root_gb=20),
        "image": image,
    }
    values.update(overrides)
    return SpawnRequest(**values)  # type: ignore[arg-type]
