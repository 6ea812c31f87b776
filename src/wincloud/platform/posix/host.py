"""PosixHost: /etc/hostname and the 127.0.1.1 line of /etc/hosts (``name.domain name`` when a
domain is given); the kernel's name too when live. On an alternate root a reboot request is
recorded in <root>/run/wincloud/reboot-required."""

from __future__ import annotations

import logging
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Processes
from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.validate import check_hostname

log = logging.getLogger(__name__)

REBOOT_MARKER: Final = "/run/wincloud/reboot-required"
LOOPBACK_ALIAS: Final = "127.0.1.1"


def render_hosts(current: str, name: str, domain: str = "") -> str:
    """/etc/hosts with the ``127.0.1.1`` line naming ``name`` (the FQDN first, then the short
    name, when ``name`` has dots or a ``domain`` is given)."""
    fqdn = f"{name}.{domain}" if domain else name
    names = fqdn if "." not in fqdn else f"{fqdn} {fqdn.split('.', 1)[0]}"
    wanted = f"{LOOPBACK_ALIAS}\t{names}"
    lines = current.splitlines()
    for index, line in enumerate(lines):
        if line.split()[:1] == [LOOPBACK_ALIAS]:
            lines[index] = wanted
            break
    else:
        if not lines:
            lines.append("127.0.0.1\tlocalhost")
        lines.append(wanted)
    return "\n".join(lines) + "\n"


class PosixHost:
    def __init__(self, root: Root, processes: Processes) -> None:
        self.root = root
        self.processes = processes

    def hostname(self) -> str:
        try:
            return self.root.host("/etc/hostname").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""
        except OSError as exc:
            raise os_error("read", exc, "/etc/hostname") from None

    def _hosts(self) -> str:
        hosts = self.root.host("/etc/hosts")
        try:
            return hosts.read_text(encoding="utf-8") if hosts.exists() else ""
        except OSError as exc:
            raise os_error("read", exc, "/etc/hosts") from None

    def domain(self) -> str:
        for line in self._hosts().splitlines():
            words = line.split()
            if words[:1] == [LOOPBACK_ALIAS] and len(words) > 1 and "." in words[1]:
                return words[1].split(".", 1)[1]
        return ""

    def set_hostname(self, name: str, *, domain: str = "") -> bool:
        check_hostname(name)
        if domain:
            check_hostname(domain)
        self.root.write_atomic(self.root.host("/etc/hostname"), f"{name}\n".encode())
        current = self._hosts()
        self.root.write_atomic(
            self.root.host("/etc/hosts"), render_hosts(current, name, domain).encode()
        )
        if self.root.is_live:
            done = self.processes.run(["hostname", name], timeout=10)
            if done.exit_code != 0:
                raise PlatformError("hostname command failed", operation="hostname", subject=name)
        return False

    def reboot(self, reason: str) -> None:
        log.warning("reboot requested reason=%s", reason)
        if not self.root.is_live:
            marker = self.root.host(REBOOT_MARKER)
            self.root.write_atomic(marker, f"{reason}\n".encode())
            return
        done = self.processes.run(["shutdown", "-r", "+0", reason], timeout=30)
        if done.exit_code != 0:
            raise PlatformError("shutdown -r failed", operation="reboot", os_code=done.exit_code)
