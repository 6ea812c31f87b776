"""FakeHost: a host name, a DNS domain and the reboots asked for. A Windows-like fake takes one
label as the computer name and wants a reboot when the name or the domain changes."""

from __future__ import annotations

from wincloud.platform.validate import check_computer_name, check_hostname


class FakeHost:
    def __init__(
        self, *, hostname: str = "", reboot_to_apply_hostname: bool = False, windows: bool = False
    ) -> None:
        self._hostname = hostname
        self._domain = ""
        self.reboot_to_apply_hostname = reboot_to_apply_hostname
        self.windows = windows
        self.reboots: list[str] = []

    def hostname(self) -> str:
        return self._hostname

    def domain(self) -> str:
        return self._domain

    def set_hostname(self, name: str, *, domain: str = "") -> bool:
        if self.windows:
            check_computer_name(name)
        else:
            check_hostname(name)
        if domain:
            check_hostname(domain)
        changed = (name, domain) != (self._hostname, self._domain)
        self._hostname, self._domain = name, domain
        return self.reboot_to_apply_hostname and changed

    def reboot(self, reason: str) -> None:
        self.reboots.append(reason)
