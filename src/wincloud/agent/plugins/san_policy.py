"""The SAN policy: what Windows does with disks attached later (``san_policy.policy``,
default ``online_all``, so attached volumes come online; ``keep`` leaves it). POSIX:
skipped."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import NotSupported

log = logging.getLogger(__name__)


class SanPolicyPlugin:
    name: ClassVar[str] = "san_policy"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        policy = ctx.config.san_policy.policy
        if policy == "keep":
            return Outcome.SKIPPED
        try:
            changed = ctx.platform.settings.set_san_policy(policy)
        except NotSupported as exc:
            log.info("san policy skipped reason=not-supported detail=%s", exc)
            return Outcome.SKIPPED
        log.info("san policy set policy=%s changed=%s", policy, changed)
        return Outcome.DONE
