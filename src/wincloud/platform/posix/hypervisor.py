"""PosixHypervisor: guestinfo through open-vm-tools (``vmware-rpctool``, else
``vmtoolsd --cmd``). Only on a live system: an alternate root has no hypervisor to ask."""

from __future__ import annotations

from typing import Final

from wincloud.platform.base import Processes
from wincloud.platform.guestinfo import check_key, read_guestinfo
from wincloud.platform.posix._root import Root

TOOLS: Final = (("vmware-rpctool",), ("vmtoolsd", "--cmd"))


class PosixHypervisor:
    def __init__(self, root: Root, processes: Processes) -> None:
        self.root = root
        self.processes = processes

    def guestinfo(self, key: str) -> bytes | None:
        check_key(key)
        if not self.root.is_live:
            return None
        return read_guestinfo(self.processes, TOOLS, key)
