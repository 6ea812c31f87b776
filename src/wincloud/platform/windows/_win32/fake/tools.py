"""Fake command-line tools the decisions run: tzutil, w32tm, netsh advfirewall, powercfg.
Each keeps the state the real tool changes (the registry, firewall rules, power values)."""

from __future__ import annotations

from collections.abc import Sequence

from wincloud.platform.base import Completed
from wincloud.platform.windows._win32.fake.registry import FakeRegistry
from wincloud.platform.windows._win32.fake.system import FakeServices

TZ_INFO = r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation"
TZ_KEYS = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Time Zones"
# "w32tm" fails with HRESULT_FROM_WIN32(ERROR_SERVICE_NOT_ACTIVE) when w32time is stopped
W32TM_NOT_RUNNING = 0x80070426 - 2**32


class FakeTools:
    def __init__(self, registry: FakeRegistry, services: FakeServices) -> None:
        self.registry = registry
        self.services = services
        self.rules: dict[str, int] = {}
        self.w32tm: list[tuple[str, ...]] = []
        self.power = {"ac": 600, "dc": 300}
        self.power_applied = 0

    def programs(self) -> dict[str, object]:
        return {
            "tzutil.exe": self.tzutil,
            "w32tm.exe": self.w32tm_tool,
            "netsh.exe": self.netsh,
            "powercfg.exe": self.powercfg,
        }

    def tzutil(self, argv: Sequence[str], stdin: bytes) -> Completed:
        args = tuple(argv)
        if len(args) == 3 and args[1].lower() == "/s":
            if not self.registry.has_key(rf"{TZ_KEYS}\{args[2]}"):
                return Completed(args, 1, b"Invalid time zone ID.\r\n")
            self.registry.write_text(TZ_INFO, "TimeZoneKeyName", args[2])
            return Completed(args, 0)
        return Completed(args, 1, b"Usage\r\n")

    def w32tm_tool(self, argv: Sequence[str], stdin: bytes) -> Completed:
        args = tuple(argv)
        info = self.services.query("w32time")
        if info is None or info.state != "running":
            return Completed(args, W32TM_NOT_RUNNING, b"The service has not been started.\r\n")
        self.w32tm.append(args[1:])
        return Completed(args, 0, b"The command completed successfully.\r\n")

    def netsh(self, argv: Sequence[str], stdin: bytes) -> Completed:
        args = tuple(argv)
        verb = args[3] if len(args) > 3 else ""
        options = dict(a.split("=", 1) for a in args[5:] if "=" in a)  # after "rule"
        name = options.get("name", "")
        if verb == "show":
            port = self.rules.get(name)
            wanted = options.get("localport")
            found = port is not None and (wanted is None or str(port) == wanted)
            return Completed(args, 0 if found else 1, b"" if found else b"No rules match.\r\n")
        if verb == "delete":
            return Completed(args, 0 if self.rules.pop(name, None) is not None else 1)
        if verb == "add":
            self.rules[name] = int(options["localport"])
            return Completed(args, 0, b"Ok.\r\n")
        return Completed(args, 1)

    def powercfg(self, argv: Sequence[str], stdin: bytes) -> Completed:
        args = tuple(argv)
        verb = args[1].lower()
        if verb == "/query":
            text = (
                "Power Setting GUID: 3c0bc021-c8a8-4e07-a973-6b14cbcb2b7e"
                "  (Turn off display after)\r\n"
                f"    Current AC Power Setting Index: 0x{self.power['ac']:08x}\r\n"
                f"    Current DC Power Setting Index: 0x{self.power['dc']:08x}\r\n"
            )
            return Completed(args, 0, text.encode())
        if verb in ("/setacvalueindex", "/setdcvalueindex"):
            self.power["ac" if verb == "/setacvalueindex" else "dc"] = int(args[5])
            return Completed(args, 0)
        if verb == "/setactive":
            self.power_applied += 1
            return Completed(args, 0)
        return Completed(args, 1)
