"""Cinder's volume driver for the Windows iSCSI Target Server.

``volume_driver = wincloud.hyperv.cinder.WindowsISCSIDriver``: the class is imported on first
access (it needs Cinder); ``volumes`` and ``images`` hold the decisions and import no Cinder.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WindowsISCSIDriver"]


def __getattr__(name: str) -> Any:
    if name == "WindowsISCSIDriver":
        from wincloud.hyperv.cinder.driver import WindowsISCSIDriver

        return WindowsISCSIDriver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
