"""PosixClock: /etc/localtime + /etc/timezone (Debian style); NTP servers as a chrony source
file when chrony is installed (/etc/chrony exists: /etc/chrony/sources.d/wincloud.sources),
else a systemd-timesyncd drop-in. On a live system the daemon is told to reload (best effort:
a failure is logged, the file stays and is read at the next start)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Sequence
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Processes
from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.validate import check_ntp_server, check_timezone

log = logging.getLogger(__name__)

ZONEINFO: Final = "/usr/share/zoneinfo"
TIMESYNCD_DROPIN: Final = "/etc/systemd/timesyncd.conf.d/wincloud.conf"
CHRONY_DIR: Final = "/etc/chrony"
CHRONY_SOURCES: Final = "/etc/chrony/sources.d/wincloud.sources"


class PosixClock:
    def __init__(self, root: Root, processes: Processes | None = None) -> None:
        self.root = root
        self.processes = processes

    def timezone(self) -> str | None:
        link = self.root.host("/etc/localtime", follow=False)
        try:
            target = os.readlink(link)
        except (FileNotFoundError, OSError):
            return None
        marker = ZONEINFO + "/"
        return target.split(marker, 1)[1] if marker in target else None

    def set_timezone(self, name: str) -> bool:
        zone = self.root.host(f"{ZONEINFO}/{name}") if ".." not in name else None
        check_timezone(name, known=zone is not None and zone.is_file())
        if self.timezone() == name:
            return False
        link = self.root.host("/etc/localtime", follow=False)
        tmp = link.with_name(".localtime.wincloud")
        try:
            link.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(f"{ZONEINFO}/{name}")
            os.replace(tmp, link)
        except OSError as exc:
            raise os_error("set_timezone", exc, "/etc/localtime") from None
        self.root.write_atomic(self.root.host("/etc/timezone"), f"{name}\n".encode())
        return True

    def _uses_chrony(self) -> bool:
        return self.root.host(CHRONY_DIR).is_dir()

    def _read(self, path: str) -> str:
        try:
            return self.root.host(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""
        except OSError as exc:
            raise os_error("read", exc, path) from None

    def ntp_servers(self) -> list[str]:
        if self._uses_chrony():
            words = (line.split() for line in self._read(CHRONY_SOURCES).splitlines())
            return [w[1] for w in words if len(w) > 1 and w[0] in ("server", "pool")]
        for line in self._read(TIMESYNCD_DROPIN).splitlines():
            if line.startswith("NTP="):
                return line[4:].split()
        return []

    def set_ntp_servers(self, servers: Sequence[str]) -> bool:
        wanted = [check_ntp_server(s) for s in servers]
        if wanted == self.ntp_servers():
            return False
        if self._uses_chrony():
            path = CHRONY_SOURCES
            text = "# written by wincloud\n" + "".join(f"server {s} iburst\n" for s in wanted)
            reload = ["chronyc", "reload", "sources"]
        else:
            path = TIMESYNCD_DROPIN
            text = "# written by wincloud\n[Time]\nNTP=" + " ".join(wanted) + "\n"
            reload = ["systemctl", "try-restart", "systemd-timesyncd.service"]
        self.root.write_atomic(self.root.host(path), text.encode())
        if self.root.is_live and self.processes is not None:
            self._reload(reload)
        return True

    def _reload(self, argv: list[str]) -> None:
        assert self.processes is not None
        try:
            done = self.processes.run(argv, timeout=30)
        except PlatformError as exc:
            log.warning("ntp reload failed command=%s error=%s", argv[0], exc)
            return
        if done.exit_code != 0:
            log.warning("ntp reload failed command=%s exit=%d", argv[0], done.exit_code)
