"""Apply the ``#cloud-config`` documents of the user-data (whole, or MIME parts), in order.

Every document is parsed and checked first (names, paths, hashes Windows cannot take,
passwords Windows would refuse, host names, NTP servers): a wrong one is an InvalidMetadata
naming the key, and nothing is applied. Then, per document: ``timezone``, ``ntp``, the host
name, ``groups``, ``users``, ``chpasswd``, ``write_files`` (after the users, so they may own
files), and last the ``runcmd`` lines as one script (exit codes as for user-data scripts).
Each step is remembered once done, so a reboot (a new Windows computer name) does not apply
it twice (``append`` would append twice). Keys outside the subset are logged and ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import partial
from typing import ClassVar, Final

import msgspec

from wincloud.agent.plugins._admin import is_admin
from wincloud.agent.plugins._scripts import run_scripts
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.agent.plugins.hostname import apply_hostname, decide_hostname
from wincloud.agent.plugins.ntp import apply_ntp, check_servers
from wincloud.agent.plugins.password import complexity_problem
from wincloud.agent.plugins.timezone import apply_timezone
from wincloud.agent.userdata.cloudconfig import (
    CloudConfig,
    UserSpec,
    WriteFile,
    build_cloudconfig,
    merge_parts,
    render_runcmd,
    vendor_userdata,
)
from wincloud.agent.userdata.parts import Budget, Part, parse_userdata
from wincloud.agent.userdata.scripts import Script
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

log = logging.getLogger(__name__)

ADMIN_KEYS: Final = "C:\\ProgramData\\ssh\\administrators_authorized_keys"
SUDOERS: Final = "/etc/sudoers.d/90-wincloud-{name}"
# fullmatch, never match with "$": "$" also matches before a final newline, and "alice\n"
# would pass, for useradd to fail half-way through the document.
_POSIX_USER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
_WINDOWS_USER: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,19}")
_WINDOWS_PATH: Final = re.compile(r"[A-Za-z]:[\\/]")
_WINDOWS_GROUP_BAD: Final = frozenset('"/\\[]:|<>+=;,?*@')
MAX_PATH_CHARS: Final = 4096


def _hostname_wanted(doc: CloudConfig) -> str | None:
    """The FQDN when given (its first label is the host name), else the host name."""
    if doc.preserve_hostname:
        return None
    return doc.fqdn or doc.hostname


def precheck(ctx: RunContext, doc: CloudConfig, where: str) -> None:
    """Everything that can be known wrong before applying, raised as InvalidMetadata."""
    windows = ctx.platform.family == "windows"
    names = _WINDOWS_USER if windows else _POSIX_USER
    defined = {u.name for u in doc.users}
    min_length = ctx.config.password.min_length

    def check_password(name: str, secret: Secret, at: str) -> None:
        if windows and ctx.config.password.check_complexity:
            problem = complexity_problem(secret.reveal(), name, min_length=min_length)
            if problem:
                raise InvalidMetadata(f"Windows would refuse the password: {problem}", subject=at)

    groups = [g for u in doc.users for g in u.groups] + [g for g, _ in doc.groups]
    for group in groups:
        if not _is_group_name(group, windows=windows):
            raise InvalidMetadata("not a valid group name", subject=f"{where}: {group!r}")
    for group, members in doc.groups:
        for member in members:
            if not names.fullmatch(member):
                raise InvalidMetadata(
                    "not a valid user name", subject=f"{where}: groups {group!r} {member!r}"
                )
    for user in doc.users:
        at = f"{where}: users {user.name!r}"
        if not names.fullmatch(user.name):
            raise InvalidMetadata("not a valid user name", subject=at)
        if any(_has_control(key) for key in user.ssh_keys):
            raise InvalidMetadata("an ssh key holds a line break or control character", subject=at)
        if user.password_hash is not None and windows:
            raise InvalidMetadata(
                "Windows takes no password hash; give plain_text_passwd", subject=at
            )
        if user.password is not None:
            check_password(user.name, user.password, at)
        if any(_has_control(rule) for rule in user.sudo):
            raise InvalidMetadata("a sudo rule holds a line break", subject=at)
    for change in doc.chpasswd:
        at = f"{where}: chpasswd {change.name!r}"
        if not names.fullmatch(change.name):
            raise InvalidMetadata("not a valid user name", subject=at)
        if change.name not in defined and not ctx.platform.users.exists(change.name):
            raise InvalidMetadata("no such user", subject=at)
        if change.type == "hash" and windows:
            raise InvalidMetadata("Windows takes no password hash", subject=at)
        if change.type == "text":
            check_password(change.name, change.password, at)
    for item in doc.write_files:
        at = f"{where}: write_files {item.path[:200]!r}"
        problem = _path_problem(item.path, windows=windows)
        if problem:
            raise InvalidMetadata(f"write_files path {problem}", subject=at)
        if item.owner is not None and not names.fullmatch(item.owner):
            raise InvalidMetadata("write_files owner is not a valid user name", subject=at)
    wanted = _hostname_wanted(doc)
    if wanted:
        decide_hostname(
            wanted,
            family=ctx.platform.family,
            config=ctx.config.hostname,
            where=f"{where}: hostname",
        )
    if doc.ntp_servers:
        check_servers(list(doc.ntp_servers), f"{where}: ntp")


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def _is_group_name(group: str, *, windows: bool) -> bool:
    if not group or len(group) > 256 or _has_control(group):
        return False
    if windows:
        return not _WINDOWS_GROUP_BAD.intersection(group) and group[-1] not in " ."
    return _POSIX_USER.fullmatch(group) is not None


def _path_problem(path: str, *, windows: bool) -> str | None:
    """Why a write_files path cannot be written (None when it can)."""
    if _has_control(path):
        return "holds a control character"
    if len(path) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS} characters"
    absolute = _WINDOWS_PATH.match(path) if windows else path.startswith("/")
    if not absolute:
        return "must be absolute"
    parts = re.split(r"[\\/]", path)
    if ".." in parts:
        return "must not hold '..'"
    if path[-1] in "\\/":
        return "names a directory"
    if windows and any(ch in ':*?"<>|' for ch in path[2:]):
        return "holds a character Windows refuses in file names"
    return None


class CloudConfigPlugin:
    name: ClassVar[str] = "cloudconfig"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        data = ctx.metadata.user_data
        parsed = parse_userdata(data) if data else None
        parts = parsed.cloud_configs() if parsed else []
        docs: list[tuple[str, str, str, CloudConfig]] = []
        if parsed is not None and parts:
            where = "user-data" + (f" {parts[0].name}" if len(parts) == 1 else "")
            merged = merge_parts(parts, where="user-data")
            doc = build_cloudconfig(merged, where=where, budget=parsed.budget)
            docs.append((where, "cc0:", "runcmd", doc))
        docs = self._vendor_docs(ctx, [doc for *_, doc in docs]) + docs
        if not docs:
            return Outcome.SKIPPED
        for where, _, _, doc in docs:
            precheck(ctx, doc, where)
        reboot = False
        taken = set(ctx.metadata.userdata_keys_taken)
        for where, prefix, _, doc in docs:
            for key in doc.unsupported:
                if key in taken and where.startswith("user-data"):
                    log.info("cloud-config key applied through the source key=%s", key)
                else:
                    log.info("cloud-config key not supported key=%s", key)
            reboot = self._apply(ctx, doc, prefix) or reboot
        windows = ctx.platform.family == "windows"
        scripts = [
            Script(
                f"{label}-{i}{'.cmd' if windows else ''}",
                render_runcmd(d.runcmd, windows=windows),
                "cmd" if windows else "shebang",
            )
            for i, (_, _, label, d) in enumerate(docs)
            if d.runcmd
        ]
        if reboot:
            return Outcome.REBOOT_AND_RETRY if scripts else Outcome.REBOOT
        if not scripts:
            return Outcome.DONE
        return run_scripts(
            ctx,
            scripts,
            timeout=ctx.config.userdata.timeout,
            what="runcmd",
            memo=ctx.memo,
            prefix="runcmd:",
        )

    @staticmethod
    def _vendor_docs(
        ctx: RunContext, user_docs: list[CloudConfig]
    ) -> list[tuple[str, str, str, CloudConfig]]:
        """The cloud-config of OpenStack vendor data (the ``cloud-init`` attribute of
        vendor_data.json and vendor_data2.json), applied before the user's: the keys a user
        document sets are left out of them, and ``vendor_data: {enabled: false}`` in user data
        turns them off. Vendor scripts are not run (logged)."""
        if not all(doc.vendor_data_enabled for doc in user_docs):
            log.info("vendor cloud-config off reason=user-data")
            return []
        user_keys = frozenset().union(*(doc.keys for doc in user_docs))
        metadata = ctx.metadata
        parts: list[Part] = []
        budget = Budget()
        for label, value in (
            ("vendor_data", metadata.vendor_data),
            ("vendor_data2", metadata.vendor_data2),
        ):
            text = vendor_userdata(value)
            if text is None:
                continue
            parsed = parse_userdata(text)
            budget = parsed.budget if not parts else budget
            for part in parsed.parts:
                if part.kind != "cloud-config":
                    log.info(
                        "vendor data part not applied name=%s %s kind=%s",
                        label,
                        part.name,
                        part.kind,
                    )
                    continue
                parts.append(msgspec.structs.replace(part, name=f"{label} {part.name}"))
        if not parts:
            return []
        merged = merge_parts(parts, where="vendor data")
        doc = build_cloudconfig(merged, where="vendor data", budget=budget, drop=user_keys)
        return [("vendor data", "vd0:", "vendor-runcmd", doc)]

    def _apply(self, ctx: RunContext, doc: CloudConfig, prefix: str) -> bool:
        """Apply one document's steps not yet done; True when a reboot is needed."""
        reboot = False

        def step(name: str, action: Callable[[], object]) -> None:
            if ctx.memo.get(prefix + name) == "done":
                return
            action()
            ctx.memo[prefix + name] = "done"

        if doc.timezone:
            step("timezone", lambda: apply_timezone(ctx, doc.timezone or "", where="cloud-config"))
        if doc.ntp_servers:
            step("ntp", lambda: apply_ntp(ctx, list(doc.ntp_servers or ()), where="cloud-config"))
        wanted = _hostname_wanted(doc)
        if wanted and ctx.memo.get(prefix + "hostname") != "done":
            config = ctx.config.hostname
            if doc.prefer_fqdn:
                config = msgspec.structs.replace(config, use_fqdn=True)
            outcome = apply_hostname(ctx, wanted, where="cloud-config hostname", config=config)
            ctx.memo[prefix + "hostname"] = "done"
            reboot = outcome is Outcome.REBOOT
        step("groups", lambda: self._groups(ctx, doc))
        for user in doc.users:
            step(f"user:{user.name}", partial(self._user, ctx, user))
        step("chpasswd", lambda: self._chpasswd(ctx, doc))
        for index, item in enumerate(doc.write_files):
            step(f"file:{index}", partial(self._write, ctx, item))
        return reboot

    @staticmethod
    def _groups(ctx: RunContext, doc: CloudConfig) -> None:
        users = ctx.platform.users
        for name, members in doc.groups:
            created = users.ensure_group(name)
            log.info("group ready name=%s created=%s", name, created)
            for member in members:
                if users.exists(member):
                    users.ensure(member, groups=[name])
                else:
                    log.warning(
                        "group member skipped group=%s user=%s reason=no-such-user", name, member
                    )

    @staticmethod
    def _user(ctx: RunContext, user: UserSpec) -> None:
        users, windows = ctx.platform.users, ctx.platform.family == "windows"
        created = users.ensure(user.name, groups=list(user.groups))
        log.info(
            "user ready name=%s created=%s groups=%s", user.name, created, ",".join(user.groups)
        )
        if user.ignored:
            log.info("user keys not supported user=%s keys=%s", user.name, ",".join(user.ignored))
        if user.password is not None:
            ctx.register_secret(user.password.reveal())
            users.set_password(user.name, user.password)
        if user.password_hash is not None:
            users.set_password_hash(user.name, user.password_hash)
        if user.sudo and windows:
            log.warning(
                "sudo ignored on Windows user=%s hint=put the user in Administrators", user.name
            )
        elif user.sudo:
            text = "".join(f"{user.name} {rule}\n" for rule in user.sudo)
            ctx.platform.files.write(SUDOERS.format(name=user.name), text.encode(), mode=0o440)
        if user.ssh_keys:
            users.set_authorized_keys(user.name, list(user.ssh_keys))
            if windows and is_admin(ctx, user.name):
                existing = (ctx.platform.files.read(ADMIN_KEYS) or b"").decode("utf-8", "replace")
                keys = list(dict.fromkeys([*existing.splitlines(), *user.ssh_keys]))
                users.set_admin_authorized_keys([k for k in keys if k.strip()])

    @staticmethod
    def _chpasswd(ctx: RunContext, doc: CloudConfig) -> None:
        users = ctx.platform.users
        for change in doc.chpasswd:
            ctx.register_secret(change.password.reveal())
            if change.type == "hash":
                users.set_password_hash(change.name, change.password)
            else:
                users.set_password(change.name, change.password)
            if doc.chpasswd_expire:
                users.expire_password(change.name)
            log.info("password changed user=%s expire=%s", change.name, doc.chpasswd_expire)

    @staticmethod
    def _write(ctx: RunContext, item: WriteFile) -> None:
        files, windows = ctx.platform.files, ctx.platform.family == "windows"
        content = item.content
        if item.append:
            content = (files.read(item.path) or b"") + content
        owner = None if windows else item.owner
        if owner is not None and not ctx.platform.users.exists(owner):
            log.warning("file owner unknown, left to root path=%s owner=%s", item.path, owner)
            owner = None
        mode = 0o644 if item.permissions is None else item.permissions
        files.write(item.path, content, mode=mode, owner=owner)
        log.info(
            "file written path=%s bytes=%d mode=%o append=%s",
            item.path,
            len(content),
            mode,
            item.append,
        )
