"""The time zone: the ``timezone`` meta key, else ``timezone.name`` from the config. An IANA
name (``Europe/Paris``); the Windows backend maps it to a Windows zone."""

from __future__ import annotations

import logging
from typing import ClassVar, Final

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage

log = logging.getLogger(__name__)

META_KEY: Final = "timezone"


def apply_timezone(ctx: RunContext, zone: str, *, where: str) -> bool:
    changed = ctx.platform.clock.set_timezone(zone)
    log.info("time zone set zone=%s changed=%s from=%s", zone, changed, where)
    return changed


class TimezonePlugin:
    name: ClassVar[str] = "timezone"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        given = ctx.metadata.meta.get(META_KEY, "").strip()
        if given:
            apply_timezone(ctx, given, where=f"meta.{META_KEY}")
        elif ctx.config.timezone.name:
            apply_timezone(ctx, ctx.config.timezone.name, where="config timezone.name")
        else:
            return Outcome.SKIPPED
        return Outcome.DONE
