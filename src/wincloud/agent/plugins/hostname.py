"""Set the host name from the metadata (its first label unless ``hostname.use_fqdn``)."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage

log = logging.getLogger(__name__)


class HostnamePlugin:
    name: ClassVar[str] = "hostname"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        wanted = ctx.metadata.hostname
        if not wanted:
            return Outcome.SKIPPED
        if not ctx.config.hostname.use_fqdn:
            wanted = wanted.split(".", 1)[0]
        host = ctx.platform.host
        if host.hostname() == wanted:
            log.info("hostname already set name=%s", wanted)
            return Outcome.DONE
        needs_reboot = host.set_hostname(wanted)
        log.info("hostname set name=%s reboot=%s", wanted, needs_reboot)
        return Outcome.REBOOT if needs_reboot else Outcome.DONE
