"""Grow volumes into the free space after their partition (a disk the cloud made larger):
every volume, or those named in ``extend_volumes.volumes`` (``C:``, ``D:``). Runs at every
boot, since a disk can grow while the instance is stopped. POSIX: not done here (growpart in
the initramfs does it); the plugin skips."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported

log = logging.getLogger(__name__)


class ExtendVolumesPlugin:
    name: ClassVar[str] = "extend_volumes"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_BOOT

    def run(self, ctx: RunContext) -> Outcome:
        volumes = ctx.platform.volumes
        try:
            growable = volumes.growable()
        except NotSupported as exc:
            log.info("volumes not extended reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        wanted = {v.casefold() for v in ctx.config.extend_volumes.volumes}
        chosen = [g for g in growable if not wanted or g.volume.casefold() in wanted]
        if not chosen:
            return Outcome.SKIPPED
        for item in chosen:
            size = volumes.extend(item.volume)
            log.info("volume extended volume=%s from=%d to=%d", item.volume, item.size, size)
        return Outcome.DONE
