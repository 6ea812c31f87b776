"""The Nova compute driver for Hyper-V hosts driven over PowerShell remoting.

Only ``driver`` (``HyperVDriver``), ``translate`` (Nova's objects -> plan records) and ``conf``
(the ``[hyperv]`` options) import OpenStack code; ``plan``, ``vmops``, ``imagecache`` and
``transfer`` hold the decisions and host steps and are tested without Nova installed. Nova finds the
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
