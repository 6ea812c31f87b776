"""Fake kernel32 (computer names pending until a reboot, volumes, WOW64), fake process spawner
(programs are Python callables) and fake Service Control Manager."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from wincloud.errors import PlatformError
from wincloud.platform.base import Completed
from wincloud.platform.windows._win32.errors import (
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_COMPUTERNAME,
    ERROR_SERVICE_ALREADY_RUNNING,
    ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_EXISTS,
    ERROR_SERVICE_NOT_ACTIVE,
    win32_error,
)
from wincloud.platform.windows._win32.fake.registry import FakeRegistry
from wincloud.platform.windows._win32.kernel32 import NameKind, VolumeInfo
from wincloud.platform.windows._win32.services import ServiceInfo, StartType

TCPIP: str = r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
_DNS_LABEL = re.compile(r"^[A-Za-z0-9-]{1,63}$")


class FakeKernel32:
    def __init__(
        self,
        registry: FakeRegistry,
        *,
        hostname: str = "WIN-TEMPLATE",
        wow64: bool = False,
        volumes: Sequence[VolumeInfo] = (),
    ) -> None:
        self.registry = registry
        self.active = {NameKind.PHYSICAL_DNS_HOSTNAME: hostname, NameKind.PHYSICAL_DNS_DOMAIN: ""}
        self.wow64 = wow64
        self.volume_list = list(volumes)
        registry.write_text(TCPIP, "Hostname", hostname)
        registry.write_text(TCPIP, "NV Hostname", hostname)

    def computer_name(self, kind: NameKind) -> str:
        if kind in (NameKind.NETBIOS, NameKind.PHYSICAL_NETBIOS):
            return self.active[NameKind.PHYSICAL_DNS_HOSTNAME][:15].upper()
        if kind in (NameKind.DNS_DOMAIN, NameKind.PHYSICAL_DNS_DOMAIN):
            return self.active[NameKind.PHYSICAL_DNS_DOMAIN]
        return self.active[NameKind.PHYSICAL_DNS_HOSTNAME]

    def set_computer_name(self, kind: NameKind, name: str) -> None:
        if kind == NameKind.PHYSICAL_DNS_HOSTNAME:
            # "SetComputerNameExW function": a name with invalid characters fails with
            # ERROR_INVALID_COMPUTERNAME; the NetBIOS name becomes its first 15 characters
            if not _DNS_LABEL.match(name) or name.isdigit():
                raise win32_error("SetComputerNameEx", ERROR_INVALID_COMPUTERNAME, subject=name)
            self.registry.write_text(TCPIP, "NV Hostname", name)
        elif kind == NameKind.PHYSICAL_DNS_DOMAIN:
            if name and not all(_DNS_LABEL.match(part) for part in name.split(".")):
                raise win32_error("SetComputerNameEx", ERROR_INVALID_COMPUTERNAME, subject=name)
            self.registry.write_text(TCPIP, "NV Domain", name)
        else:
            raise win32_error("SetComputerNameEx", 87, subject=str(kind))

    def reboot(self) -> None:
        """What a restart does to the names: the pending ones take effect."""
        host = self.registry.read_text(TCPIP, "NV Hostname") or ""
        domain = self.registry.read_text(TCPIP, "NV Domain") or ""
        self.active = {NameKind.PHYSICAL_DNS_HOSTNAME: host, NameKind.PHYSICAL_DNS_DOMAIN: domain}
        self.registry.write_text(TCPIP, "Hostname", host)
        self.registry.write_text(TCPIP, "Domain", domain)

    def windows_directory(self) -> str:
        return "C:\\Windows"

    def is_wow64(self) -> bool:
        return self.wow64

    def volumes(self) -> list[VolumeInfo]:
        return list(self.volume_list)


Program = Callable[[Sequence[str], bytes], Completed]


@dataclass
class Spawned:
    argv: tuple[str, ...]
    stdin: bytes | None
    env: dict[str, str]


class FakeSpawner:
    """Programs by lower-case full path or base name; anything else is not found."""

    def __init__(self, programs: Mapping[str, Program] | None = None) -> None:
        self.programs = {name.lower(): prog for name, prog in (programs or {}).items()}
        self.ran: list[Spawned] = []
        self.hang: set[str] = set()
        """Base names that never finish (the timeout fires)."""

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        args = tuple(argv)
        self.ran.append(Spawned(args, stdin, dict(env or {})))
        base = args[0].replace("/", "\\").rsplit("\\", 1)[-1].lower()
        if base in self.hang:
            raise PlatformError(f"timed out after {timeout:g} s", operation="run", subject=args[0])
        program = self.programs.get(args[0].lower()) or self.programs.get(base)
        if program is None:
            # "CreateProcessW function" fails with ERROR_FILE_NOT_FOUND
            raise PlatformError(
                "program not found", operation="run", os_code=ERROR_FILE_NOT_FOUND, subject=args[0]
            )
        return program(args, stdin or b"")


@dataclass
class FakeService:
    name: str
    display: str
    command: str
    start: StartType
    description: str
    state: str = "stopped"
    starts: int = field(default=0)


class FakeServices:
    def __init__(self) -> None:
        self.services: dict[str, FakeService] = {}

    def _get(self, operation: str, name: str) -> FakeService:
        found = self.services.get(name.lower())
        if found is None:
            # "OpenServiceW function": ERROR_SERVICE_DOES_NOT_EXIST
            raise win32_error(operation, ERROR_SERVICE_DOES_NOT_EXIST, subject=name)
        return found

    def add(self, name: str, *, state: str = "running", start: StartType = StartType.AUTO) -> None:
        self.services[name.lower()] = FakeService(name, name, "", start, "", state)

    def query(self, name: str) -> ServiceInfo | None:
        found = self.services.get(name.lower())
        if found is None:
            return None
        return ServiceInfo(found.name, found.state, found.start, found.command)

    def create(
        self, name: str, *, display: str, command: str, start: StartType, description: str
    ) -> None:
        if name.lower() in self.services:
            # "CreateServiceW function": ERROR_SERVICE_EXISTS
            raise win32_error("CreateService", ERROR_SERVICE_EXISTS, subject=name)
        self.services[name.lower()] = FakeService(name, display, command, start, description)

    def set_start(self, name: str, start: StartType) -> None:
        self._get("ChangeServiceConfig", name).start = start

    def start(self, name: str) -> None:
        found = self._get("StartService", name)
        if found.state == "running":
            # "StartServiceW function": ERROR_SERVICE_ALREADY_RUNNING
            raise win32_error("StartService", ERROR_SERVICE_ALREADY_RUNNING, subject=name)
        found.state = "running"
        found.starts += 1

    def stop(self, name: str) -> None:
        found = self._get("ControlService", name)
        if found.state != "running":
            # "ControlService function": ERROR_SERVICE_NOT_ACTIVE
            raise win32_error("ControlService", ERROR_SERVICE_NOT_ACTIVE, subject=name)
        found.state = "stopped"

    def delete(self, name: str) -> None:
        self._get("DeleteService", name)
        del self.services[name.lower()]
