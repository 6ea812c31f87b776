"""``wincloud image validate``: an inspection report checked against the image's spec.

One problem per line; an empty list means the image is fit to publish as the spec says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from wincloud.image.disk.inspect import ImageReport
from wincloud.image.disk.windows import BOOT_SERVICE

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

NIC_DRIVER: Final = {"virtio": "netkvm"}


def find_problems(report: ImageReport, spec: ImageSpec) -> list[str]:
    windows = report.windows
    if windows is None:
        return ["no Windows installation found (no NTFS volume with Windows\\System32\\config)"]
    problems: list[str] = []
    if not report.generalized:
        problems.append(
            f"not generalized: ImageState is {report.image_state or 'missing'} "
            "(run sysprep /generalize /oobe /shutdown)"
        )
    if report.agent_version is None:
        problems.append(
            "no wincloud agent, installed or staged (wincloud image customize --agent-msi)"
        )
    bus = spec.disk.bus
    if not report.boot_drivers.get(bus, False):
        problems.append(
            f"no boot-start {BOOT_SERVICE[bus]} driver for disk bus {bus} "
            f"(wincloud image customize --virtio-win ISO --bus {bus})"
        )
    nic = NIC_DRIVER.get(spec.network.model)
    if nic is not None and nic not in report.drivers:
        problems.append(f"no {nic} driver for network model {spec.network.model}")
    if report.firmware is not None and report.firmware != spec.firmware.type:
        problems.append(
            f"firmware mismatch: the disk boots {report.firmware}, the spec says "
            f"{spec.firmware.type}"
        )
    if windows.version is not None and windows.version != spec.source.version:
        problems.append(
            f"version mismatch: the image holds Windows {windows.version}, the spec says "
            f"{spec.source.version}"
        )
    if windows.architecture not in (None, spec.source.architecture):
        problems.append(
            f"architecture mismatch: the image is {windows.architecture}, the spec says "
            f"{spec.source.architecture}"
        )
    return problems
