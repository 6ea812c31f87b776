"""PosixClock: /etc/localtime + /etc/timezone (Debian style), and a systemd-timesyncd drop-in."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Final

from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.validate import check_ntp_server, check_timezone

ZONEINFO: Final = "/usr/share/zoneinfo"
TIMESYNCD_DROPIN: Final = "/etc/systemd/timesyncd.conf.d/wincloud.conf"


class PosixClock:
    def __init__(self, root: Root) -> None:
        self.root = root

    def timezone(self) -> str | None:
        link = self.root.host("/etc/localtime")
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
        link = self.root.host("/etc/localtime")
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

    def ntp_servers(self) -> list[str]:
        try:
            text = self.root.host(TIMESYNCD_DROPIN).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise os_error("read", exc, TIMESYNCD_DROPIN) from None
        for line in text.splitlines():
            if line.startswith("NTP="):
                return line[4:].split()
        return []

    def set_ntp_servers(self, servers: Sequence[str]) -> bool:
        wanted = [check_ntp_server(s) for s in servers]
        if wanted == self.ntp_servers():
            return False
        text = "# written by wincloud\n[Time]\nNTP=" + " ".join(wanted) + "\n"
        self.root.write_atomic(self.root.host(TIMESYNCD_DROPIN), text.encode())
        return True
