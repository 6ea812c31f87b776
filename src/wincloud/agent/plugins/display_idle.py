"""Turn the display off after ``display_idle.timeout`` seconds idle (0: never), so a console
session does not blank while someone watches it. POSIX: skipped."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported

log = logging.getLogger(__name__)


class DisplayIdlePlugin:
    name: ClassVar[str] = "display_idle"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        seconds = ctx.config.display_idle.timeout
        try:
            changed = ctx.platform.settings.set_display_idle_timeout(seconds)
        except NotSupported as exc:
            log.info("display idle timeout skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        log.info("display idle timeout set seconds=%d changed=%s", seconds, changed)
        return Outcome.DONE
