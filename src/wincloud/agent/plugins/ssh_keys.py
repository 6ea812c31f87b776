"""The instance's SSH public keys become the administrator's authorized keys (the platform
decides where: ~/.ssh on POSIX, administrators_authorized_keys for admins on Windows)."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import PluginFailed

log = logging.getLogger(__name__)


class SshKeysPlugin:
    name: ClassVar[str] = "ssh_keys"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        keys = list(ctx.metadata.public_keys.values())
        if not keys:
            return Outcome.SKIPPED
        username = ctx.config.users.username
        if not ctx.platform.users.exists(username):
            raise PluginFailed(
                "the admin user does not exist",
                subject=username,
                hint="put the users plugin before ssh_keys",
            )
        path = ctx.platform.users.set_authorized_keys(username, keys)
        log.info("authorized keys written user=%s count=%d path=%s", username, len(keys), path)
        return Outcome.DONE
