"""FakeHost: a host name and the reboots asked for."""

from __future__ import annotations

from wincloud.platform.validate import check_hostname


class FakeHost:
    def __init__(self, *, hostname: str = "", reboot_to_apply_hostname: bool = False) -> None:
        self._hostname = hostname
        self.reboot_to_apply_hostname = reboot_to_apply_hostname
        self.reboots: list[str] = []

    def hostname(self) -> str:
        return self._hostname

    def set_hostname(self, name: str) -> bool:
        self._hostname = check_hostname(name)
        return self.reboot_to_apply_hostname

    def reboot(self, reason: str) -> None:
        self.reboots.append(reason)
