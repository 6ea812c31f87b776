"""FakeClock: time zone and NTP servers, in memory."""

from __future__ import annotations

from collections.abc import Sequence

from wincloud.platform.validate import check_ntp_server, check_timezone


class FakeClock:
    def __init__(self, *, zones: Sequence[str] = ("UTC", "Europe/Paris", "America/New_York")):
        self.zones = set(zones)
        self._timezone: str | None = None
        self._ntp: list[str] = []

    def timezone(self) -> str | None:
        return self._timezone

    def set_timezone(self, name: str) -> bool:
        check_timezone(name, known=name in self.zones)
        changed = name != self._timezone
        self._timezone = name
        return changed

    def ntp_servers(self) -> list[str]:
        return list(self._ntp)

    def set_ntp_servers(self, servers: Sequence[str]) -> bool:
        wanted = [check_ntp_server(s) for s in servers]
        changed = wanted != self._ntp
        self._ntp = wanted
        return changed
