"""NTP servers: the ``ntp_servers`` meta key (servers separated by commas or spaces), else
``ntp.servers`` from the config. On POSIX they go to chrony or systemd-timesyncd; on Windows
to the Windows Time service (the backend's business)."""

from __future__ import annotations

import logging
import re
from typing import ClassVar, Final

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import InvalidMetadata

log = logging.getLogger(__name__)

META_KEY: Final = "ntp_servers"
_SERVER: Final = re.compile(r"^[A-Za-z0-9.:-]{1,253}\Z")


def check_servers(servers: list[str], where: str) -> list[str]:
    bad = [s for s in servers if not _SERVER.match(s)]
    if bad:
        raise InvalidMetadata(f"not an NTP server: {bad[0][:80]!r}", subject=where)
    return servers


def apply_ntp(ctx: RunContext, servers: list[str], *, where: str) -> bool:
    changed = ctx.platform.clock.set_ntp_servers(check_servers(servers, where))
    log.info("ntp servers set servers=%s changed=%s from=%s", ",".join(servers), changed, where)
    return changed


class NtpPlugin:
    name: ClassVar[str] = "ntp"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        given = ctx.metadata.meta.get(META_KEY, "")
        if given.strip():
            servers, where = re.split(r"[\s,]+", given.strip()), f"meta.{META_KEY}"
        elif ctx.config.ntp.servers:
            servers, where = list(ctx.config.ntp.servers), "config ntp.servers"
        else:
            return Outcome.SKIPPED
        apply_ntp(ctx, servers, where=where)
        return Outcome.DONE
