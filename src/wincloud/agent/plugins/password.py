"""The administrator's password, from (in this order) the metadata's ``admin_pass`` (config
drives), the ``admin_pass`` meta key (``nova boot --meta admin_pass=...``, with
``password.from_meta``), a crypt hash the source gives instead (``admin_pass_hash``: POSIX
only), or generated, sealed with the instance's first ssh-rsa key and posted
to the metadata service for ``nova get-password``.

Given passwords are checked first against Windows' complexity rule (on Windows, with
``password.check_complexity``): a password Windows would refuse is a clear error, and nothing
changes. ``password.change_at_first_logon`` makes the user change it at the first logon:
``never``, ``given`` (only a password given in clear text) or ``always``.

A generated password passes the same check before it is sealed (it is regenerated when it
happens to contain the user name): once posted it cannot be replaced, so one Windows would
refuse must never leave the instance.

The order protects the instance: nothing changes locally until the service is known to hold
this agent's ciphertext, so an instance without an RSA key, without a password endpoint, or
whose password someone else posted keeps the password it has. The ciphertext is saved in the
agent state before it is posted; a post that gets no answer is posted again, and a 409 is
resolved by reading the stored value back: equal to ours, the post took (the local password
is set); different, someone else's (nothing changes). A later boot that finds our own
ciphertext stored, but no record of setting it, fails loudly instead of claiming "already
posted": that password is not in effect and must be cleared.

A password its source hands out until acknowledged (CloudStack's password server) is applied
at whichever boot it appears, not only an instance's first: that is how a password reset in
CloudStack reaches the guest. It is acknowledged only once set.
"""

from __future__ import annotations

import logging
import string
from typing import TYPE_CHECKING, ClassVar, Final

from wincloud.agent.plugins._admin import admin_username
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.sealing import MAX_POSTED, generate_password, seal_password
from wincloud.errors import InvalidMetadata, PasswordAlreadySet, PluginFailed, SourceUnavailable
from wincloud.secret import Secret

if TYPE_CHECKING:
    from wincloud.agent.metadata import InstanceMetadata, PasswordSink

log = logging.getLogger(__name__)

META_PASSWORD: Final = "admin_pass"  # noqa: S105 - a key name
MEMO_POSTED: Final = "posted"
"""The ciphertext this agent is posting or posted, until the local password is set."""
GENERATE_ATTEMPTS: Final = 10


def complexity_problem(password: str, username: str, *, min_length: int) -> str | None:
    """Why Windows' "Password must meet complexity requirements" would refuse ``password``
    (None when it would not): at least ``min_length`` characters, three of the four classes
    (upper, lower, digit, other), and not the user name (three characters or more) inside."""
    if len(password) < min_length:
        return f"it has fewer than {min_length} characters"
    classes = [
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        return "it needs three of: upper case, lower case, digits, other characters"
    if len(username) >= 3 and username.casefold() in password.casefold():
        return "it contains the user name"
    return None


class PasswordPlugin:
    name: ClassVar[str] = "password"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    @staticmethod
    def offers_again(metadata: InstanceMetadata) -> bool:
        """A password the source hands out until told it is in effect (CloudStack's password
        server, after a reset in CloudStack) is applied at any boot, not only the first."""
        return metadata.admin_pass is not None and metadata.acknowledge_password is not None

    def run(self, ctx: RunContext) -> Outcome:
        username = admin_username(ctx)
        if not ctx.platform.users.exists(username):
            raise PluginFailed(
                "the admin user does not exist",
                subject=username,
                hint="put the users plugin before password",
            )
        given, where = self._given(ctx)
        if given is not None:
            ctx.register_secret(given.reveal())
            self._check(ctx, username, given, where)
            self._apply(ctx, username, given, is_given=True)
            log.info("password set from metadata user=%s field=%s", username, where)
            acknowledge = ctx.metadata.acknowledge_password
            if acknowledge is not None and where == "admin_pass":
                acknowledge()  # only now: a password refused above stays with its source
            return Outcome.DONE
        hashed = ctx.metadata.admin_pass_hash
        if hashed is not None:
            self._apply_hash(ctx, username, hashed)
            return Outcome.DONE
        if not ctx.config.password.generate:
            return Outcome.SKIPPED
        return self._generate_and_post(ctx, username)

    @staticmethod
    def _apply_hash(ctx: RunContext, username: str, hashed: Secret) -> None:
        """A password the source gives only as a crypt(3) hash: set as such on POSIX (the
        agent never learns the password, so nothing is handed to later plugins); Windows
        keeps no such hashes, so there it is refused by name and nothing changes."""
        ctx.register_secret(hashed.reveal())
        where = f"{ctx.metadata.where}: password"
        if ctx.platform.family == "windows":
            raise InvalidMetadata(
                "the admin password is given as a crypt hash, which Windows cannot take",
                subject=where,
                hint="give the password in clear text (Proxmox keeps cipassword in clear "
                "only for a Windows ostype: set the VM's OS type to Windows)",
            )
        ctx.platform.users.set_password_hash(username, hashed)
        if ctx.config.password.change_at_first_logon == "always":  # "given": clear text only
            ctx.platform.users.expire_password(username)
            log.info("password must be changed at first logon user=%s", username)
        log.info("password hash set from metadata user=%s", username)

    @staticmethod
    def _given(ctx: RunContext) -> tuple[Secret | None, str]:
        metadata = ctx.metadata
        if metadata.admin_pass is not None:
            return metadata.admin_pass, "admin_pass"
        meta = metadata.meta.get(META_PASSWORD, "")
        if ctx.config.password.from_meta and meta:
            return Secret(meta), f"meta.{META_PASSWORD}"
        return None, ""

    @staticmethod
    def _check(ctx: RunContext, username: str, password: Secret, where: str) -> None:
        value = password.reveal()
        if not value or any(ch in value for ch in "\r\n\0"):
            raise InvalidMetadata("the password is empty or holds a line break", subject=where)
        if ctx.platform.family != "windows" or not ctx.config.password.check_complexity:
            return
        problem = complexity_problem(value, username, min_length=ctx.config.password.min_length)
        if problem is not None:
            raise InvalidMetadata(
                f"the password does not meet Windows' complexity rule: {problem}",
                subject=where,
                hint="give a stronger password, or set password.check_complexity = false",
            )

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
        held = sink.read()
        earlier = ctx.memo.get(MEMO_POSTED)
        if held is not None:
            if earlier is not None and held == earlier.encode():
                raise PluginFailed(
                    "the password held by the service was posted by an earlier boot of this "
                    "agent that stopped before setting it: it is not in effect",
                    subject=sink.where,
                    hint="clear it (wincloud instance clear-password, or nova clear-password); "
                    "the next boot posts a new one",
                )
            log.info("password already posted, local password unchanged where=%s", sink.where)
            return Outcome.SKIPPED
        password = self._generate(ctx, username)
        ctx.register_secret(password.reveal())
        sealed = seal_password(password, key)
        if len(sealed) > MAX_POSTED:
            raise PluginFailed(
                f"the sealed password is {len(sealed)} characters, over the {MAX_POSTED} "
                "the service stores",
                hint="use an RSA key of at most 4096 bits",
            )
        # Remembered before posting: a later boot can then tell the service's password from
        # one this agent posted but never set (a crash, or an answer that never came).
        ctx.memo[MEMO_POSTED] = sealed.decode("ascii")
        ctx.persist()
        if not self._post(ctx, sink, sealed):
            ctx.memo.pop(MEMO_POSTED, None)
            log.warning("password posted meanwhile by someone else, local password unchanged")
            return Outcome.SKIPPED
        try:
            self._apply(ctx, username, password, is_given=False)
        except Exception:
            log.error(
                "password posted but not set: the posted one is not in effect and later boots "
                "report it until it is cleared (wincloud instance clear-password, or nova "
                "clear-password) user=%s where=%s",
                username,
                sink.where,
            )
            raise
        ctx.memo.pop(MEMO_POSTED, None)
        ctx.persist()
        log.info("password generated and posted user=%s where=%s", username, sink.where)
        return Outcome.DONE

    @staticmethod
    def _post(ctx: RunContext, sink: PasswordSink, sealed: bytes) -> bool:
        """Post ``sealed``; True when the service now holds exactly it. An unanswered post
        (timeout, reset, 5xx) may still have been committed: it is posted again, and a 409
        then is resolved by reading the stored value back. SourceUnavailable when the service
        never answers within the retry budget (``[retry]``)."""
        backoff = ctx.config.retry.to_backoff()
        pauses = backoff.delays()
        for attempt in range(backoff.attempts):
            try:
                sink.post(sealed)
            except PasswordAlreadySet:
                held = sink.read()
                took = held is not None and held == sealed.strip()
                log.info(
                    "password post answered 409, read back matches=%s where=%s",
                    str(took).lower(),
                    sink.where,
                )
                return took
            except SourceUnavailable as exc:
                if attempt >= len(pauses):
                    raise
                log.warning(
                    "password post unanswered, posting again attempt=%d of=%d wait_s=%.1f "
                    "reason=%s",
                    attempt + 1,
                    backoff.attempts,
                    pauses[attempt],
                    exc,
                )
                ctx.sleep(pauses[attempt])
            else:
                return True
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _generate(ctx: RunContext, username: str) -> Secret:
        """A password of ``password.length`` that Windows' complexity rule accepts (when it
        applies): every character class by construction, regenerated if it holds the user
        name; PluginFailed, before anything is posted, if none passes."""
        settings = ctx.config.password
        checked = ctx.platform.family == "windows" and settings.check_complexity
        problem = None
        for _ in range(GENERATE_ATTEMPTS):
            password = generate_password(settings.length)
            if not checked:
                return password
            problem = complexity_problem(
                password.reveal(), username, min_length=settings.min_length
            )
            if problem is None:
                return password
        raise PluginFailed(
            f"no generated password meets Windows' complexity rule: {problem}",
            subject="password.length",
            hint="make password.length at least password.min_length",
        )

    @staticmethod
    def _apply(ctx: RunContext, username: str, password: Secret, *, is_given: bool) -> None:
        users = ctx.platform.users
        users.set_password(username, password)
        ctx.handoff.admin_password = password
        when = ctx.config.password.change_at_first_logon
        if when == "always" or (when == "given" and is_given):
            users.expire_password(username)
            log.info("password must be changed at first logon user=%s", username)
