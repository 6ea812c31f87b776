"""The Windows backend: decisions in this package, Win32 bindings under ``_win32/`` (imported
lazily, so this package imports on Linux and its decisions are tested there against fake
bindings).

Written so far: the state store (the registry). The other capabilities are not, so
``windows_platform()`` raises NotSupported instead of pretending.
"""

from __future__ import annotations

from wincloud.errors import NotSupported
from wincloud.platform.base import Platform
from wincloud.platform.windows.state import WindowsState

__all__ = ["WindowsState", "windows_platform"]


def windows_platform() -> Platform:
    raise NotSupported(
        "the Windows platform backend is not complete yet (only its state store exists)",
        operation="platform",
        hint="run the agent on Linux for now; see docs/agent.md",
    )
