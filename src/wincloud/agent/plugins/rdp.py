"""Remote Desktop: allowed or not (``rdp.enabled``), its port (``rdp.port``), Network Level
Authentication (``rdp.nla``); the firewall is opened for the port. POSIX: skipped."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported
from wincloud.platform.base import RdpSettings

log = logging.getLogger(__name__)


class RdpPlugin:
    name: ClassVar[str] = "rdp"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        config = ctx.config.rdp
        wanted = RdpSettings(enabled=config.enabled, port=config.port, nla=config.nla)
        access = ctx.platform.remote_access
        try:
            before = access.rdp()
        except NotSupported as exc:
            log.info("rdp skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        changed = before != wanted and access.set_rdp(wanted)
        log.info(
            "rdp configured enabled=%s port=%d nla=%s changed=%s",
            wanted.enabled,
            wanted.port,
            wanted.nla,
            changed,
        )
        return Outcome.DONE
