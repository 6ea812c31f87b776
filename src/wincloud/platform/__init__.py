"""The OS boundary: ``Platform`` bundles small capabilities; ``current()`` picks the backend.

Backends are imported lazily so that importing this package costs nothing and Windows-only
modules never load on Linux (and the reverse).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from wincloud.errors import NotSupported
from wincloud.platform.base import (
    Adapter,
    BondMode,
    Certificates,
    Clock,
    Completed,
    FileInfo,
    Files,
    Growable,
    Host,
    Hypervisor,
    InterfacePlan,
    LicenseState,
    LicenseStatus,
    Licensing,
    LinkKind,
    Network,
    NetworkPlan,
    PageFile,
    Platform,
    Processes,
    RdpSettings,
    RemoteAccess,
    RoutePlan,
    SanPolicy,
    ScriptKind,
    State,
    SystemSettings,
    Users,
    Volumes,
    WindowsProduct,
    WinRMListener,
)

__all__ = [
    "Adapter",
    "BondMode",
    "Certificates",
    "Clock",
    "Completed",
    "FileInfo",
    "Files",
    "Growable",
    "Host",
    "Hypervisor",
    "InterfacePlan",
    "LicenseState",
    "LicenseStatus",
    "Licensing",
    "LinkKind",
    "Network",
    "NetworkPlan",
    "PageFile",
    "Platform",
    "Processes",
    "RdpSettings",
    "RemoteAccess",
    "RoutePlan",
    "SanPolicy",
    "ScriptKind",
    "State",
    "SystemSettings",
    "Users",
    "Volumes",
    "WinRMListener",
    "WindowsProduct",
    "current",
]


@functools.cache
def current(root: Path | None = None) -> Platform:
    """The platform of the running OS; ``root`` (POSIX only) makes every path relative to an
    alternate root directory."""
    if sys.platform == "win32":
        if root is not None:
            raise NotSupported("--root is not supported on Windows", operation="platform")
        from wincloud.platform.windows import windows_platform

        return windows_platform()
    from wincloud.platform.posix import posix_platform

    return posix_platform(root if root is not None else Path("/"))
