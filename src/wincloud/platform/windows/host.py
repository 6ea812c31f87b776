"""WindowsHost: the computer name and primary DNS suffix (SetComputerNameExW; effective after a
reboot, so the names pending in the registry are the configured ones) and reboots (the shutdown
privilege, then InitiateSystemShutdownExW with a planned-reconfiguration reason)."""

from __future__ import annotations

import logging
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.validate import check_computer_name, check_hostname
from wincloud.platform.windows._win32.advapi import (
    SE_SHUTDOWN_NAME,
    SHTDN_REASON_PLANNED_RECONFIG,
    Advapi,
)
from wincloud.platform.windows._win32.errors import ERROR_SHUTDOWN_IN_PROGRESS
from wincloud.platform.windows._win32.kernel32 import Kernel32, NameKind
from wincloud.platform.windows._win32.registry import Registry

log = logging.getLogger(__name__)

TCPIP_PARAMETERS: Final = r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
NETBIOS_MAX: Final = 15


class WindowsHost:
    def __init__(self, kernel32: Kernel32, advapi: Advapi, registry: Registry) -> None:
        self.kernel32 = kernel32
        self.advapi = advapi
        self.registry = registry

    def hostname(self) -> str:
        pending = self.registry.read_text(TCPIP_PARAMETERS, "NV Hostname")
        return pending or self.kernel32.computer_name(NameKind.PHYSICAL_DNS_HOSTNAME)

    def domain(self) -> str:
        pending = self.registry.read_text(TCPIP_PARAMETERS, "NV Domain")
        if pending is not None:
            return pending
        return self.kernel32.computer_name(NameKind.PHYSICAL_DNS_DOMAIN)

    def set_hostname(self, name: str, *, domain: str = "") -> bool:
        check_computer_name(name)
        if domain:
            check_hostname(domain)
        changed = False
        if self.hostname() != name:
            if len(name) > NETBIOS_MAX:
                log.warning(
                    "computer name longer than the NetBIOS limit name=%s netbios=%s",
                    name,
                    name[:NETBIOS_MAX].upper(),
                )
            self.kernel32.set_computer_name(NameKind.PHYSICAL_DNS_HOSTNAME, name)
            changed = True
        if self.domain().casefold() != domain.casefold():
            self.kernel32.set_computer_name(NameKind.PHYSICAL_DNS_DOMAIN, domain)
            changed = True
        if changed:
            log.info("computer name set name=%s domain=%s effective=after-reboot", name, domain)
        return changed

    def reboot(self, reason: str) -> None:
        log.warning("reboot requested reason=%s", reason)
        self.advapi.enable_privilege(SE_SHUTDOWN_NAME)
        try:
            self.advapi.initiate_shutdown(
                reason[:512], reboot=True, reason=SHTDN_REASON_PLANNED_RECONFIG
            )
        except PlatformError as exc:
            if exc.os_code != ERROR_SHUTDOWN_IN_PROGRESS:
                raise
            log.info("reboot already in progress")
