"""WindowsClock: the time zone (read from the registry, set with ``tzutil /s``, IANA names
mapped to Windows zones) and NTP through the Windows Time service (w32time: its NtpServer and
Type parameters, the service set to start automatically, then ``w32tm /config /update`` and a
resync)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.validate import check_ntp_server, check_timezone
from wincloud.platform.windows._win32.errors import ERROR_SERVICE_ALREADY_RUNNING
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.services import ServiceManager, StartType
from wincloud.platform.windows.processes import WindowsProcesses
from wincloud.platform.windows.timezones import iana_zone, windows_zone

log = logging.getLogger(__name__)

TZ_INFO: Final = r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation"
TZ_KEYS: Final = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Time Zones"
W32TIME: Final = r"SYSTEM\CurrentControlSet\Services\W32Time\Parameters"
OURS: Final = r"SOFTWARE\wincloud\clock"
NTP_FLAGS: Final = "0x8"
"""SpecialInterval off, client mode (the "NtpServer" flags w32tm documents)."""
TIMEOUT: Final = 60.0


class WindowsClock:
    def __init__(
        self, registry: FullRegistry, processes: WindowsProcesses, services: ServiceManager
    ) -> None:
        self.registry = registry
        self.processes = processes
        self.services = services

    def _tool(self, argv: list[str]) -> None:
        done = self.processes.run(argv, timeout=TIMEOUT)
        if done.exit_code != 0:
            raise PlatformError(
                f"{argv[0].rsplit(chr(92), 1)[-1]} failed with exit status {done.exit_code}",
                operation="clock",
                os_code=done.exit_code,
                detail=done.stdout.decode("utf-8", "replace").strip()[:300],
            )

    def timezone(self) -> str | None:
        current = self.registry.read_text(TZ_INFO, "TimeZoneKeyName")
        if not current:
            return None
        ours = self.registry.read_text(OURS, "timezone")
        if ours and windows_zone(ours) == current:
            return ours
        return iana_zone(current)

    def set_timezone(self, name: str) -> bool:
        target = windows_zone(name) if ".." not in name else None
        known = target is not None and self.registry.has_key(rf"{TZ_KEYS}\{target}")
        check_timezone(name, known=known)
        assert target is not None
        if self.timezone() == name:
            return False
        if self.registry.read_text(TZ_INFO, "TimeZoneKeyName") != target:
            self._tool([f"{self.processes.native_system_dir()}\\tzutil.exe", "/s", target])
            log.info("time zone set name=%s windows=%s", name, target)
        self.registry.write_text(OURS, "timezone", name)
        return True

    def ntp_servers(self) -> list[str]:
        if (self.registry.read_text(W32TIME, "Type") or "").upper() != "NTP":
            return []
        text = self.registry.read_text(W32TIME, "NtpServer") or ""
        return [entry.split(",", 1)[0] for entry in text.split() if entry]

    def set_ntp_servers(self, servers: Sequence[str]) -> bool:
        wanted = [check_ntp_server(s) for s in servers]
        if wanted == self.ntp_servers():
            return False
        self.registry.write_text(W32TIME, "NtpServer", " ".join(f"{s},{NTP_FLAGS}" for s in wanted))
        self.registry.write_text(W32TIME, "Type", "NTP" if wanted else "NoSync")
        self.services.set_start("w32time", StartType.AUTO)
        try:
            self.services.start("w32time")
        except PlatformError as exc:
            if exc.os_code != ERROR_SERVICE_ALREADY_RUNNING:
                raise
        w32tm = f"{self.processes.native_system_dir()}\\w32tm.exe"
        self._tool([w32tm, "/config", "/update"])
        if wanted:
            done = self.processes.run([w32tm, "/resync", "/nowait"], timeout=TIMEOUT)
            log.info("ntp configured servers=%s resync_exit=%d", ",".join(wanted), done.exit_code)
        return True
