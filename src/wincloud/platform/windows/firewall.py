"""Inbound firewall rules for one TCP port, by name, through ``netsh advfirewall`` (the
tool's exit status says whether a rule exists)."""

from __future__ import annotations

from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.windows.processes import WindowsProcesses

TIMEOUT: Final = 60.0


class Firewall:
    def __init__(self, processes: WindowsProcesses) -> None:
        self.processes = processes

    def _netsh(self, *args: str) -> int:
        netsh = f"{self.processes.native_system_dir()}\\netsh.exe"
        done = self.processes.run([netsh, "advfirewall", "firewall", *args], timeout=TIMEOUT)
        return done.exit_code

    def allow_tcp(self, name: str, port: int) -> bool:
        """Make ``name`` the one rule allowing inbound TCP ``port``; True when it changed."""
        rule = f"name={name}"
        if self._netsh("show", "rule", rule, f"localport={port}") == 0:
            return False
        self._netsh("delete", "rule", rule)
        code = self._netsh(
            "add", "rule", rule, "dir=in", "action=allow", "protocol=TCP", f"localport={port}"
        )
        if code != 0:
            raise PlatformError(
                "netsh could not add a firewall rule",
                operation="firewall",
                os_code=code,
                subject=name,
            )
        return True

    def remove(self, name: str) -> bool:
        return self._netsh("delete", "rule", f"name={name}") == 0
