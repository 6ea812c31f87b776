"""WindowsHypervisor: guestinfo through VMware Tools' ``rpctool.exe`` (the path
cloudbase-init's ``vmware_rpctool_path`` defaults to), else ``vmtoolsd.exe --cmd``."""

from __future__ import annotations

from typing import Final

from wincloud.platform.base import Processes
from wincloud.platform.guestinfo import read_guestinfo

TOOLS_DIR: Final = r"C:\Program Files\VMware\VMware Tools"
TOOLS: Final = ((TOOLS_DIR + r"\rpctool.exe",), (TOOLS_DIR + r"\vmtoolsd.exe", "--cmd"))


class WindowsHypervisor:
    def __init__(self, processes: Processes) -> None:
        self.processes = processes

    def guestinfo(self, key: str) -> bytes | None:
        return read_guestinfo(self.processes, TOOLS, key)
