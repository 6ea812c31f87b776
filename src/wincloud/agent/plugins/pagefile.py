"""Page files: ``pagefile.mode = "keep"`` (default) leaves them; ``automatic`` lets Windows
manage them; ``custom`` puts one on each of ``pagefile.paths`` with ``pagefile.initial_mb``
and ``pagefile.maximum_mb`` (both 0: the system picks the size). A change takes effect after
a reboot, which is asked for. POSIX: skipped."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported, PluginFailed
from wincloud.platform.base import PageFile

log = logging.getLogger(__name__)


def planned_files(ctx: RunContext) -> list[PageFile] | None:
    config = ctx.config.pagefile
    if config.mode == "automatic":
        return None
    if not config.paths:
        raise PluginFailed("pagefile.mode = custom needs pagefile.paths", subject="pagefile")
    if (config.initial_mb or config.maximum_mb) and not (
        0 < config.initial_mb <= config.maximum_mb
    ):
        raise PluginFailed(
            "pagefile.initial_mb must be at least 1 and at most pagefile.maximum_mb",
            subject="pagefile",
            hint="or set both to 0 for a size the system picks",
        )
    return [PageFile(p, config.initial_mb, config.maximum_mb) for p in config.paths]


class PageFilePlugin:
    name: ClassVar[str] = "pagefile"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        if ctx.config.pagefile.mode == "keep":
            return Outcome.SKIPPED
        wanted = planned_files(ctx)
        settings = ctx.platform.settings
        try:
            current = settings.page_files()
        except NotSupported as exc:
            log.info("page files skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        if current == wanted:
            log.info("page files already as wanted mode=%s", ctx.config.pagefile.mode)
            return Outcome.DONE
        settings.set_page_files(wanted)
        log.info(
            "page files set mode=%s files=%s reboot=true",
            ctx.config.pagefile.mode,
            ",".join(f.path for f in wanted or []) or "automatic",
        )
        return Outcome.REBOOT
