"""WindowsSystemSettings: the display idle timeout of the active power plan (``powercfg``,
AC and DC), page files (the Memory Management ``PagingFiles`` value, with automatic
management switched through Win32_ComputerSystem.AutomaticManagedPagefile) and the SAN
policy for new disks (partmgr's ``SanPolicy``, the value the unattend setting writes)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import PageFile, SanPolicy
from wincloud.platform.validate import check_page_files
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.wmi import CIMV2, Wmi
from wincloud.platform.windows.processes import WindowsProcesses

log = logging.getLogger(__name__)

MEMORY: Final = r"SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management"
AUTOMATIC: Final = r"?:\pagefile.sys"
PARTMGR: Final = r"SYSTEM\CurrentControlSet\Services\partmgr\Parameters"
PRODUCT_OPTIONS: Final = r"SYSTEM\CurrentControlSet\Control\ProductOptions"
SAN_CODES: Final[dict[SanPolicy, int]] = {
    "online_all": 1,
    "offline_shared": 2,
    "offline_all": 3,
    "offline_internal": 4,
}
_HEX: Final = re.compile(r"0x([0-9a-fA-F]+)\s*$")


class WindowsSystemSettings:
    def __init__(self, registry: FullRegistry, processes: WindowsProcesses, wmi: Wmi) -> None:
        self.registry = registry
        self.processes = processes
        self.wmi = wmi

    def _powercfg(self, *args: str) -> bytes:
        powercfg = f"{self.processes.native_system_dir()}\\powercfg.exe"
        done = self.processes.run([powercfg, *args], timeout=60)
        if done.exit_code != 0:
            raise PlatformError(
                "powercfg failed", operation="powercfg", os_code=done.exit_code, subject=args[0]
            )
        return done.stdout

    def display_idle_timeouts(self) -> tuple[int, int]:
        """(AC, DC) seconds, from the last two hexadecimal values ``powercfg /query`` prints
        (their labels are localized, the values are not)."""
        text = self._powercfg("/query", "SCHEME_CURRENT", "SUB_VIDEO", "VIDEOIDLE")
        values = [
            int(m.group(1), 16)
            for line in text.decode("utf-8", "replace").splitlines()
            if (m := _HEX.search(line))
        ]
        if len(values) < 2:
            raise PlatformError("cannot read the display timeout", operation="powercfg")
        return values[-2], values[-1]

    def set_display_idle_timeout(self, seconds: int) -> bool:
        if seconds < 0:
            raise PlatformError("a timeout is >= 0", operation="powercfg", subject=str(seconds))
        if self.display_idle_timeouts() == (seconds, seconds):
            return False
        for verb in ("/setacvalueindex", "/setdcvalueindex"):
            self._powercfg(verb, "SCHEME_CURRENT", "SUB_VIDEO", "VIDEOIDLE", str(seconds))
        self._powercfg("/setactive", "SCHEME_CURRENT")
        log.info("display idle timeout set seconds=%d", seconds)
        return True

    def page_files(self) -> list[PageFile] | None:
        lines = [x for x in self.registry.read_multi(MEMORY, "PagingFiles") or [] if x.strip()]
        if not lines or any(line.split()[0].lower() == AUTOMATIC for line in lines):
            return None
        out = []
        for line in lines:
            parts = line.split()
            sizes = [int(p) for p in parts[1:3] if p.isdigit()] + [0, 0]
            out.append(PageFile(parts[0], sizes[0], sizes[1]))
        return out

    def set_page_files(self, files: Sequence[PageFile] | None) -> bool:
        check_page_files(files)
        wanted = None if files is None else list(files)
        if wanted == self.page_files():
            return False
        lines = (
            [AUTOMATIC]
            if wanted is None
            else [f"{f.path} {f.initial_mb} {f.maximum_mb}" for f in wanted]
        )
        for system in self.wmi.query(CIMV2, "Win32_ComputerSystem"):
            self.wmi.put(CIMV2, system.path, {"AutomaticManagedPagefile": wanted is None})
        self.registry.write_multi(MEMORY, "PagingFiles", lines)
        log.info("page files set files=%s effective=after-reboot", ",".join(lines))
        return True

    def san_policy(self) -> SanPolicy:
        code = self.registry.read_dword(PARTMGR, "SanPolicy")
        for name, value in SAN_CODES.items():
            if value == code:
                return name
        product = self.registry.read_text(PRODUCT_OPTIONS, "ProductType") or "ServerNT"
        return "online_all" if product == "WinNT" else "offline_shared"

    def set_san_policy(self, policy: SanPolicy) -> bool:
        if policy not in SAN_CODES:
            raise PlatformError("unknown SAN policy", operation="san_policy", subject=policy)
        if self.san_policy() == policy and self.registry.read_dword(PARTMGR, "SanPolicy"):
            return False
        self.registry.write_dword(PARTMGR, "SanPolicy", SAN_CODES[policy])
        log.info("san policy set policy=%s", policy)
        return True
