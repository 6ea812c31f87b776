"""The virtio-win ISO's layout, as the operator's media has it: ``<driver>/<os>/<arch>/``,
with one folder per Windows version (``2k22``, ``w11``, ...) and architecture. Shared by the
answer CD (``media``) and offline customization (``disk.virtio``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

OS_DIRS: Final[Mapping[str, str]] = {
    "2016": "2k16",
    "2019": "2k19",
    "2022": "2k22",
    "2025": "2k25",
    "10": "w10",
    "11": "w11",
}
"""Spec ``source.version`` -> the driver folder for that Windows version."""
ARCH_DIRS: Final[Mapping[str, str]] = {"amd64": "amd64", "arm64": "ARM64"}
