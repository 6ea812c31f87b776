"""The instance's SSH public keys become the administrator's authorized keys: the user's own
file (``~/.ssh/authorized_keys``; ``C:\\Users\\<name>\\.ssh\\authorized_keys`` on Windows)
and, on Windows, when the user is an administrator and ``ssh_keys.administrators_file``,
also ``%ProgramData%\\ssh\\administrators_authorized_keys``: Windows' OpenSSH reads only
that file for members of Administrators (its default sshd_config says so)."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins._admin import admin_username, is_admin
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import PluginFailed

log = logging.getLogger(__name__)


class SshKeysPlugin:
    name: ClassVar[str] = "ssh_keys"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        keys = [k for k in ctx.metadata.public_keys.values() if k.strip()]
        if not keys:
            return Outcome.SKIPPED
        username = admin_username(ctx)
        users = ctx.platform.users
        if not users.exists(username):
            raise PluginFailed(
                "the admin user does not exist",
                subject=username,
                hint="put the users plugin before ssh_keys",
            )
        path = users.set_authorized_keys(username, keys)
        log.info("authorized keys written user=%s count=%d path=%s", username, len(keys), path)
        if (
            ctx.platform.family == "windows"
            and ctx.config.ssh_keys.administrators_file
            and is_admin(ctx, username)
        ):
            shared = users.set_admin_authorized_keys(keys)
            log.info("administrators authorized keys written count=%d path=%s", len(keys), shared)
        return Outcome.DONE
