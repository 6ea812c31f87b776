"""A spec written as an operator would write it, and an inspection report of a good image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wincloud.image.disk.inspect import ImageReport
from wincloud.image.disk.windows import WindowsInfo
from wincloud.image.spec import ImageSpec, load_spec

BASE_SPEC = """\
[image]
name = "ws2022-std"
[source]
iso = "iso/SERVER_EVAL_x64FRE_en-us.iso"
edition = "Windows Server 2022 SERVERSTANDARD"
version = "2022"
[firmware]
type = "{firmware}"
secure_boot = {secure_boot}
tpm = {tpm}
[disk]
bus = "{bus}"
size_gib = 40
[network]
model = "{nic}"
[licensing]
mode = "kms-client"
[drivers]
virtio_win_iso = "iso/virtio-win-0.1.266.iso"
[agent]
msi = "dist/wincloud-agent.msi"
[publish]
name = "Windows Server 2022 Standard"
min_ram_mib = 2048
{publish_extra}
"""


def windows(**changes: Any) -> WindowsInfo:
    fields: dict[str, Any] = {
        "product_name": "Windows Server 2022 Standard",
        "edition_id": "ServerStandard",
        "installation_type": "Server",
        "build": 20348,
        "version": "2022",
        "architecture": "amd64",
    }
    return WindowsInfo(**{**fields, **changes})


def good_report(**changes: Any) -> ImageReport:
    """The report of a good UEFI/virtio image, as wincloud.image.disk.inspect gives it."""
    fields: dict[str, Any] = {
        "format": "qcow2",
        "virtual_size": 40 * 2**30,
        "actual_size": 9 * 2**30,
        "partition_table": "gpt",
        "firmware": "uefi",
        "windows": windows(),
        "generalized": True,
        "image_state": "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
        "agent_version": "0.1.0",
        "qemu_ga": False,
        "drivers": {"viostor": "100.95.104.26600", "netkvm": "100.95.104.26600"},
        "boot_drivers": {"virtio": True, "scsi": False},
    }
    return ImageReport(**{**fields, **changes})


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
            BASE_SPEC.format(
                firmware=firmware,
                secure_boot=str(secure_boot).lower(),
                tpm=str(tpm).lower(),
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
