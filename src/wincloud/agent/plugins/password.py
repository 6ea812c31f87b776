"""The administrator's password: the one the metadata gives (``admin_pass``, config drives),
or a generated one, sealed with the instance's first ssh-rsa key and posted to the metadata
service for ``nova get-password``.

The order protects the instance: nothing changes locally until the post succeeded, so an
instance without an RSA key, without a password endpoint, or whose password was already
posted (HTTP 409) keeps the password it has.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.sealing import MAX_POSTED, generate_password, seal_password
from wincloud.errors import PasswordAlreadySet, PluginFailed
from wincloud.secret import Secret

log = logging.getLogger(__name__)


class PasswordPlugin:
    name: ClassVar[str] = "password"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        username = ctx.config.users.username
        if not ctx.platform.users.exists(username):
            raise PluginFailed(
                "the admin user does not exist",
                subject=username,
                hint="put the users plugin before password",
            )
        given = ctx.metadata.admin_pass
        if given is not None:
            ctx.register_secret(given.reveal())
            self._apply(ctx, username, given)
            log.info("password set from metadata user=%s", username)
            return Outcome.DONE
        if not ctx.config.password.generate:
            return Outcome.SKIPPED
        return self._generate_and_post(ctx, username)

    def _generate_and_post(self, ctx: RunContext, username: str) -> Outcome:
        sink = ctx.password_sink
        if sink is None:
            log.warning(
                "password not generated reason=no-password-endpoint source=%s",
                ctx.metadata.source,
            )
            return Outcome.SKIPPED
        key = ctx.metadata.find_rsa_key()
        if key is None:
            log.warning("password not generated reason=no-ssh-rsa-key user=%s", username)
            return Outcome.SKIPPED
        if sink.is_set():
            log.info("password already posted, local password unchanged where=%s", sink.where)
            return Outcome.SKIPPED
        password = generate_password(ctx.config.password.length)
        ctx.register_secret(password.reveal())
        sealed = seal_password(password, key)
        if len(sealed) > MAX_POSTED:
            raise PluginFailed(
                f"the sealed password is {len(sealed)} characters, over the {MAX_POSTED} "
                "the service stores",
                hint="use an RSA key of at most 4096 bits",
            )
        try:
            sink.post(sealed)
        except PasswordAlreadySet:
            log.warning("password posted meanwhile by someone else, local password unchanged")
            return Outcome.SKIPPED
        self._apply(ctx, username, password)
        log.info("password generated and posted user=%s where=%s", username, sink.where)
        return Outcome.DONE

    @staticmethod
    def _apply(ctx: RunContext, username: str, password: Secret) -> None:
        ctx.platform.users.set_password(username, password)
        ctx.handoff.admin_password = password
