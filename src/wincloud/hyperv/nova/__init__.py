"""The Nova compute driver for Hyper-V hosts driven over PowerShell remoting.

``driver.HyperVDriver`` is the only module that imports Nova; ``plan``, ``vmops``, ``imagecache``
and ``transfer`` hold the decisions and host steps and import no OpenStack code. Nova finds the
driver as ``compute_driver = wincloud.HyperVDriver`` through the shim in packaging/nova-shim.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HyperVDriver"]


def __getattr__(name: str) -> Any:
    if name == "HyperVDriver":
        from wincloud.hyperv.nova.driver import HyperVDriver

        return HyperVDriver
    raise AttributeError(name)
