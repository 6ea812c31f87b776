"""A spec written as an operator would write it, and an inspection report of a good image
(both from tests/image_publish_data.py, which the e2e and Glance publish tests share)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.image_publish_data import WINDOWS, report_doc, spec_text
from wincloud.image.disk.inspect import ImageReport
from wincloud.image.disk.windows import WindowsInfo
from wincloud.image.spec import ImageSpec, load_spec


def windows(**changes: Any) -> WindowsInfo:
    return WindowsInfo(**{**WINDOWS, **changes})


def good_report(**changes: Any) -> ImageReport:
    """The report of a good UEFI/virtio image, as wincloud.image.disk.inspect gives it."""
    doc = report_doc()
    doc["windows"] = windows()
    return ImageReport(**{**doc, **changes})


SpecFactory = Callable[..., ImageSpec]


@pytest.fixture
def make_spec(tmp_path: Path) -> SpecFactory:
    def make(
        *,
        firmware: str = "uefi",
        secure_boot: bool = True,
        tpm: bool = False,
        bus: str = "virtio",
        nic: str = "virtio",
        publish_extra: str = "",
    ) -> ImageSpec:
        path = tmp_path / "spec.toml"
        path.write_text(
            spec_text(
                firmware=firmware,
                secure_boot=secure_boot,
                tpm=tpm,
                bus=bus,
                nic=nic,
                publish_extra=publish_extra,
            )
        )
        return load_spec(path)

    return make


@pytest.fixture
def report() -> Callable[..., Any]:
    return good_report
