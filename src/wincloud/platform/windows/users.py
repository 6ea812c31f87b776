"""WindowsUsers: local accounts through netapi32 (NetUserAdd, NetUserSetInfo,
NetLocalGroupAdd, NetLocalGroupAddMembers), group names through their well-known SIDs (the
Administrators group is localized), SSH keys where Windows OpenSSH reads them.

A new account is created *disabled* with a random password nobody knows (Windows requires a
password that meets the policy); ``set_password`` enables it. So ``has_password`` is False
until a password was set, as with a locked POSIX account.
"""

from __future__ import annotations

import logging
import secrets
import string
from collections.abc import Sequence
from typing import Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.validate import check_group, check_password, check_username
from wincloud.platform.windows._win32.advapi import SID_ADMINISTRATORS, SID_SYSTEM, Advapi
from wincloud.platform.windows._win32.errors import (
    ERROR_MEMBER_IN_ALIAS,
    NERR_PasswordTooShort,
)
from wincloud.platform.windows._win32.netapi import (
    UF_ACCOUNTDISABLE,
    UF_DONT_EXPIRE_PASSWD,
    UF_NORMAL_ACCOUNT,
    UF_SCRIPT,
    NetApi,
)
from wincloud.platform.windows._win32.userenv import Userenv
from wincloud.platform.windows.files import WindowsFiles
from wincloud.secret import Secret

log = logging.getLogger(__name__)

MAX_NAME: Final = 20
"""Local account names: at most 20 characters ("User Account Names" / NetUserAdd)."""
ADMIN_KEYS: Final = r"C:\ProgramData\ssh\administrators_authorized_keys"
NEW_ACCOUNT_FLAGS: Final = UF_SCRIPT | UF_NORMAL_ACCOUNT | UF_DONT_EXPIRE_PASSWD | UF_ACCOUNTDISABLE
_ALPHABET: Final = string.ascii_letters + string.digits + "!#%+-.:=?@_~"


def unusable_password() -> str:
    """A random password that meets any complexity policy; never stored, never shown."""
    core = "".join(secrets.choice(_ALPHABET) for _ in range(40))
    return core + secrets.choice(string.ascii_uppercase) + secrets.choice(string.digits) + "a!"


class WindowsUsers:
    def __init__(
        self, netapi: NetApi, advapi: Advapi, userenv: Userenv, files: WindowsFiles
    ) -> None:
        self.netapi = netapi
        self.advapi = advapi
        self.userenv = userenv
        self.files = files

    def _check_name(self, name: str) -> str:
        check_username(name)
        if len(name) > MAX_NAME:
            raise PlatformError(
                "a Windows user name has at most 20 characters", operation="user", subject=name
            )
        return name

    def _require(self, name: str, operation: str) -> None:
        if self.netapi.user_get(name) is None:
            raise PlatformError("no such user", operation=operation, subject=name)

    def exists(self, name: str) -> bool:
        return self.netapi.user_get(name) is not None

    def ensure_group(self, name: str) -> bool:
        check_group(name, windows=True)
        if self.netapi.group_exists(name):
            return False
        self.netapi.group_add(name, comment="created by wincloud")
        log.info("group created name=%s", name)
        return True

    def ensure(self, name: str, *, groups: Sequence[str] = ()) -> bool:
        self._check_name(name)
        for group in groups:
            check_group(group, windows=True)
        created = not self.exists(name)
        if created:
            self.netapi.user_add(
                name, unusable_password(), flags=NEW_ACCOUNT_FLAGS, comment="created by wincloud"
            )
            log.info("user created name=%s enabled=false", name)
        member_of = {g.casefold() for g in self.netapi.user_local_groups(name)}
        for group in groups:
            if group.casefold() in member_of:
                continue
            self.ensure_group(group)
            try:
                self.netapi.group_add_member(group, name)
            except PlatformError as exc:
                if exc.os_code != ERROR_MEMBER_IN_ALIAS:
                    raise
            log.info("user added to group name=%s group=%s", name, group)
        return created

    def groups_of(self, name: str) -> list[str]:
        self._require(name, "user")
        return sorted(self.netapi.user_local_groups(name))

    def admin_groups(self) -> list[str]:
        return [self.advapi.account_name(SID_ADMINISTRATORS) or "Administrators"]

    def set_password(self, name: str, password: Secret) -> None:
        value = check_password(name, password)
        info = self.netapi.user_get(name)
        if info is None:
            raise PlatformError("no such user", operation="set_password", subject=name)
        try:
            self.netapi.user_set_password(name, value)
        except PlatformError as exc:
            if exc.os_code == NERR_PasswordTooShort:
                exc.hint = "the password policy refused it: use a longer, more varied password"
            raise
        if info.is_disabled:
            self.netapi.user_set_flags(name, info.flags & ~UF_ACCOUNTDISABLE)
            log.info("user enabled name=%s", name)

    def has_password(self, name: str) -> bool:
        info = self.netapi.user_get(name)
        if info is None:
            raise PlatformError("no such user", operation="user", subject=name)
        return not info.is_disabled

    def expire_password(self, name: str) -> None:
        self._require(name, "expire_password")
        self.netapi.user_expire_password(name)

    def set_password_hash(self, name: str, hashed: Secret) -> None:
        raise NotSupported(
            "Windows takes no password hashes", operation="set_password_hash", subject=name
        )

    def profile_dir(self, name: str) -> str:
        sid = self.advapi.account_sid(name)
        if sid is None:
            raise PlatformError("no such user", operation="profile", subject=name)
        return self.userenv.profile_path(sid) or self.userenv.create_profile(sid, name)

    def set_authorized_keys(self, name: str, keys: Sequence[str]) -> str:
        self._require(name, "authorized_keys")
        ssh_dir = self.profile_dir(name) + "\\.ssh"
        self.files.make_dir(ssh_dir, mode=0o700, owner=name)
        path = ssh_dir + "\\authorized_keys"
        text = "".join(key.strip() + "\n" for key in keys)
        self.files.write(path, text.encode(), mode=0o600, owner=name)
        return path

    def set_admin_authorized_keys(self, keys: Sequence[str]) -> str:
        text = "".join(key.strip() + "\n" for key in keys)
        self.files.write(ADMIN_KEYS, text.encode(), mode=0o600)
        host = str(self.files.host(ADMIN_KEYS))
        self.advapi.restrict_file(
            host, owner_sid=SID_ADMINISTRATORS, allowed_sids=[SID_ADMINISTRATORS, SID_SYSTEM]
        )
        return ADMIN_KEYS
