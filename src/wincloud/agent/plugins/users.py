"""Create the administrator account (``users.username``, or ``meta.admin_username``), or
update it: it is added to ``users.groups`` (default: the OS's administrators group) and keeps
the groups it has."""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins._admin import admin_username
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage

log = logging.getLogger(__name__)


class UsersPlugin:
    name: ClassVar[str] = "users"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        users = ctx.platform.users
        username = admin_username(ctx)
        groups = ctx.config.users.groups or users.admin_groups()
        created = users.ensure(username, groups=groups)
        log.info("admin user ready name=%s created=%s groups=%s", username, created, groups)
        return Outcome.DONE
