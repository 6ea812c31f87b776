"""The data the image-publish tests share: one image spec written as an operator would write
it, and the inspection report of a good image as ``wincloud image inspect --json`` writes it.

Used by tests/unit/image/publish (pytest), tests/e2e/image/test_publish_signals.py (pytest)
and tests/openstack/glance/test_publish.py, which tests/openstack/run.py runs with unittest in
the main venv (its discovery puts the repository root on sys.path, so ``tests.`` imports
resolve). Plain data and the standard library only: nothing here may need pytest.
"""

from __future__ import annotations

import copy
from typing import Any

SPEC = """\
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
size_gib = {size_gib}
[network]
model = "{nic}"
[licensing]
mode = "kms-client"
[drivers]
virtio_win_iso = "iso/virtio-win-0.1.266.iso"
[agent]
msi = "dist/wincloud-agent.msi"
[publish]
name = "{publish_name}"
min_ram_mib = 2048
{publish_extra}
"""


def spec_text(
    *,
    firmware: str = "uefi",
    secure_boot: bool = True,
    tpm: bool = False,
    bus: str = "virtio",
    size_gib: int = 40,
    nic: str = "virtio",
    publish_name: str = "Windows Server 2022 Standard",
    publish_extra: str = "",
) -> str:
    """The spec's TOML; ``publish_extra`` is more lines of its [publish] table."""
    return SPEC.format(
        firmware=firmware,
        secure_boot=str(secure_boot).lower(),
        tpm=str(tpm).lower(),
        bus=bus,
        size_gib=size_gib,
        nic=nic,
        publish_name=publish_name,
        publish_extra=publish_extra,
    )


WINDOWS: dict[str, Any] = {
    "product_name": "Windows Server 2022 Standard",
    "edition_id": "ServerStandard",
    "installation_type": "Server",
    "build": 20348,
    "version": "2022",
    "architecture": "amd64",
}
"""The ``windows`` part of the report: a Windows Server 2022 Standard install."""

REPORT: dict[str, Any] = {
    "format": "qcow2",
    "virtual_size": 40 * 2**30,
    "actual_size": 9 * 2**30,
    "partition_table": "gpt",
    "firmware": "uefi",
    "windows": WINDOWS,
    "generalized": True,
    "image_state": "IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE",
    "agent_version": "0.1.0",
    "qemu_ga": False,
    "drivers": {"viostor": "100.95.104.26600", "netkvm": "100.95.104.26600"},
    "boot_drivers": {"virtio": True, "scsi": False},
}
"""A good UEFI/virtio image, generalized, with the agent installed."""


def report_doc(**changes: Any) -> dict[str, Any]:
    """A fresh copy of ``REPORT`` with ``changes`` (top-level keys) applied."""
    return {**copy.deepcopy(REPORT), **changes}
