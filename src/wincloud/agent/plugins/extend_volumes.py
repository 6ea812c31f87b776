"""Grow volumes into the free space after their partition (a disk the cloud made larger). Runs
at every boot, since a disk can grow while the instance is stopped.

Windows: every volume, or those named in ``extend_volumes.volumes`` (``C:``, ``D:``).
Linux: the root file system, or the mount points named there (``/``, ``/srv``): the last
partition of its disk grows to the disk's end, then the mounted ext2/3/4, XFS or btrfs file
system grows online (what cloud-init's growpart and resizefs do). A volume that cannot grow
(not the last partition, MBR past 2 TiB, LVM) is logged and left as it is."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported, PlatformError

log = logging.getLogger(__name__)

POSIX_DEFAULT = ("/",)


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
        configured = ctx.config.extend_volumes.volumes
        if ctx.platform.family == "windows":
            wanted = {v.casefold() for v in configured}
            chosen = [g for g in growable if not wanted or g.volume.casefold() in wanted]
        else:
            names = set(configured or POSIX_DEFAULT)
            chosen = [g for g in growable if g.volume in names]
        if not chosen:
            return Outcome.SKIPPED
        failed = 0
        for item in chosen:
            try:
                size = volumes.extend(item.volume)
            except PlatformError as exc:
                failed += 1
                log.error("volume not extended volume=%s error=%s", item.volume, exc)
                continue
            log.info("volume extended volume=%s from=%d to=%d", item.volume, item.size, size)
        if failed:
            raise PlatformError(
                f"{failed} of {len(chosen)} volumes not extended",
                operation="extend_volume",
                hint="the log names each volume and why",
            )
        return Outcome.DONE
