"""Fake local accounts shared by FakeNetApi, FakeAdvapi and FakeUserenv: users (case-insensitive
names, SIDs, flags, passwords), local groups with members, file owners and ACLs, privileges,
shutdown requests and profiles."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from wincloud.platform.windows._win32.advapi import (
    SE_RESTORE_NAME,
    SE_SHUTDOWN_NAME,
    SE_TAKE_OWNERSHIP_NAME,
    SID_ADMINISTRATORS,
    SID_REMOTE_DESKTOP_USERS,
    SID_SYSTEM,
    SID_USERS,
)
from wincloud.platform.windows._win32.errors import (
    ERROR_ACCESS_DENIED,
    ERROR_ALIAS_EXISTS,
    ERROR_FILE_NOT_FOUND,
    ERROR_MEMBER_IN_ALIAS,
    ERROR_NO_SUCH_MEMBER,
    ERROR_NOT_ALL_ASSIGNED,
    ERROR_PRIVILEGE_NOT_HELD,
    ERROR_SHUTDOWN_IN_PROGRESS,
    NERR_GroupNotFound,
    NERR_PasswordTooShort,
    NERR_UserExists,
    NERR_UserNotFound,
    win32_error,
)
from wincloud.platform.windows._win32.netapi import UF_ACCOUNTDISABLE, UserInfo

MACHINE_SID = "S-1-5-21-1004336348-1177238915-682003330"


@dataclass
class FakeAccount:
    name: str
    sid: str
    password: str | None
    flags: int
    comment: str = ""
    password_expired: bool = False


@dataclass
class FakeGroup:
    name: str
    sid: str
    members: set[str] = field(default_factory=set)
    """Lower-case user names."""


@dataclass
class FakeShutdown:
    message: str
    reboot: bool
    reason: int


@dataclass
class FakeAcl:
    owner_sid: str
    allowed_sids: tuple[str, ...]


def meets_policy(password: str, min_length: int) -> bool:
    """Length and complexity: three of upper, lower, digit, other ("Password must meet
    complexity requirements")."""
    classes = [
        any(c.isupper() for c in password),
        any(c.islower() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return len(password) >= min_length and sum(classes) >= 3


class FakeAccounts:
    def __init__(self, *, admin_group: str = "Administrators", min_password: int = 8) -> None:
        self.min_password = min_password
        self.access_denied = False
        """True: every change fails with ERROR_ACCESS_DENIED (not running elevated)."""
        self._rids = itertools.count(1001)
        self.users: dict[str, FakeAccount] = {
            "administrator": FakeAccount(
                "Administrator", f"{MACHINE_SID}-500", None, UF_ACCOUNTDISABLE | 0x200
            ),
        }
        self.groups: dict[str, FakeGroup] = {
            admin_group.lower(): FakeGroup(admin_group, SID_ADMINISTRATORS, {"administrator"}),
            "users": FakeGroup("Users", SID_USERS),
            "remote desktop users": FakeGroup("Remote Desktop Users", SID_REMOTE_DESKTOP_USERS),
        }
        self.well_known = {SID_SYSTEM: "SYSTEM"}
        self.privileges_held = {SE_SHUTDOWN_NAME, SE_RESTORE_NAME, SE_TAKE_OWNERSHIP_NAME}
        self.privileges_enabled: set[str] = set()
        self.shutdowns: list[FakeShutdown] = []
        self.acls: dict[str, FakeAcl] = {}
        self.profiles: dict[str, str] = {}

    def check_writable(self, operation: str, subject: str) -> None:
        if self.access_denied:
            raise win32_error(operation, ERROR_ACCESS_DENIED, subject=subject)

    def new_sid(self) -> str:
        return f"{MACHINE_SID}-{next(self._rids)}"

    def by_sid(self, sid: str) -> str | None:
        for user in self.users.values():
            if user.sid == sid:
                return user.name
        for group in self.groups.values():
            if group.sid == sid:
                return group.name
        return self.well_known.get(sid)


def _short(name: str) -> str:
    """``COMPUTER\\name`` or ``name`` -> ``name``."""
    return name.rsplit("\\", 1)[-1].lower()


class FakeNetApi:
    def __init__(self, accounts: FakeAccounts) -> None:
        self.accounts = accounts

    def _user(self, operation: str, name: str) -> FakeAccount:
        user = self.accounts.users.get(name.lower())
        if user is None:
            # "NetUserSetInfo function": NERR_UserNotFound
            raise win32_error(operation, NERR_UserNotFound, subject=name)
        return user

    def _check_password(self, operation: str, name: str, password: str) -> None:
        # "NetUserAdd function" / "NetUserSetInfo function": NERR_PasswordTooShort covers
        # every password policy failure (length, complexity, history)
        if not meets_policy(password, self.accounts.min_password):
            raise win32_error(operation, NERR_PasswordTooShort, subject=name)

    def user_get(self, name: str) -> UserInfo | None:
        user = self.accounts.users.get(name.lower())
        return None if user is None else UserInfo(user.name, user.flags)

    def user_add(self, name: str, password: str, *, flags: int, comment: str = "") -> None:
        self.accounts.check_writable("NetUserAdd", name)
        if name.lower() in self.accounts.users or name.lower() in self.accounts.groups:
            # "NetUserAdd function": NERR_UserExists
            raise win32_error("NetUserAdd", NERR_UserExists, subject=name)
        self._check_password("NetUserAdd", name, password)
        sid = self.accounts.new_sid()
        self.accounts.users[name.lower()] = FakeAccount(name, sid, password, flags, comment)
        self.accounts.groups["users"].members.add(name.lower())  # new local users join Users

    def user_set_password(self, name: str, password: str) -> None:
        self.accounts.check_writable("NetUserSetInfo", name)
        user = self._user("NetUserSetInfo", name)
        self._check_password("NetUserSetInfo", name, password)
        user.password = password

    def user_set_flags(self, name: str, flags: int) -> None:
        self.accounts.check_writable("NetUserSetInfo", name)
        self._user("NetUserSetInfo", name).flags = flags

    def user_expire_password(self, name: str) -> None:
        self.accounts.check_writable("NetUserSetInfo", name)
        self._user("NetUserSetInfo", name).password_expired = True

    def user_local_groups(self, name: str) -> list[str]:
        self._user("NetUserGetLocalGroups", name)
        return sorted(g.name for g in self.accounts.groups.values() if name.lower() in g.members)

    def group_exists(self, group: str) -> bool:
        return group.lower() in self.accounts.groups

    def group_add(self, group: str, *, comment: str = "") -> None:
        self.accounts.check_writable("NetLocalGroupAdd", group)
        if group.lower() in self.accounts.groups or group.lower() in self.accounts.users:
            # "NetLocalGroupAdd function": ERROR_ALIAS_EXISTS
            raise win32_error("NetLocalGroupAdd", ERROR_ALIAS_EXISTS, subject=group)
        self.accounts.groups[group.lower()] = FakeGroup(group, self.accounts.new_sid())

    def group_add_member(self, group: str, user: str) -> None:
        self.accounts.check_writable("NetLocalGroupAddMembers", group)
        found = self.accounts.groups.get(group.lower())
        if found is None:
            # "NetLocalGroupAddMembers function": NERR_GroupNotFound
            raise win32_error("NetLocalGroupAddMembers", NERR_GroupNotFound, subject=group)
        member = _short(user)
        if member not in self.accounts.users:
            # "NetLocalGroupAddMembers function": ERROR_NO_SUCH_MEMBER
            raise win32_error("NetLocalGroupAddMembers", ERROR_NO_SUCH_MEMBER, subject=user)
        if member in found.members:
            # "NetLocalGroupAddMembers function": ERROR_MEMBER_IN_ALIAS
            raise win32_error("NetLocalGroupAddMembers", ERROR_MEMBER_IN_ALIAS, subject=user)
        found.members.add(member)


class FakeAdvapi:
    def __init__(self, accounts: FakeAccounts) -> None:
        self.accounts = accounts

    def account_sid(self, name: str) -> str | None:
        short = _short(name)
        if short in self.accounts.users:
            return self.accounts.users[short].sid
        if short in self.accounts.groups:
            return self.accounts.groups[short].sid
        for sid, known in self.accounts.well_known.items():
            if known.lower() == short:
                return sid
        return None  # "LookupAccountNameW function": ERROR_NONE_MAPPED

    def account_name(self, sid: str) -> str | None:
        return self.accounts.by_sid(sid)

    def enable_privilege(self, privilege: str) -> None:
        if privilege not in self.accounts.privileges_held:
            # "AdjustTokenPrivileges function": succeeds, but GetLastError says
            # ERROR_NOT_ALL_ASSIGNED when the token does not hold the privilege
            raise win32_error("AdjustTokenPrivileges", ERROR_NOT_ALL_ASSIGNED, subject=privilege)
        self.accounts.privileges_enabled.add(privilege)

    def initiate_shutdown(self, message: str, *, reboot: bool, reason: int) -> None:
        if SE_SHUTDOWN_NAME not in self.accounts.privileges_enabled:
            # "InitiateSystemShutdownExW function": the caller must enable SE_SHUTDOWN_NAME
            raise win32_error("InitiateSystemShutdownEx", ERROR_PRIVILEGE_NOT_HELD)
        if self.accounts.shutdowns:
            # "System Error Codes (1000-1299)": ERROR_SHUTDOWN_IN_PROGRESS
            raise win32_error("InitiateSystemShutdownEx", ERROR_SHUTDOWN_IN_PROGRESS)
        self.accounts.shutdowns.append(FakeShutdown(message, reboot, reason))

    def restrict_file(self, path: str, *, owner_sid: str, allowed_sids: Sequence[str]) -> None:
        if (
            owner_sid not in allowed_sids
            and not {
                SE_RESTORE_NAME,
                SE_TAKE_OWNERSHIP_NAME,
            }
            & self.accounts.privileges_enabled
        ):
            # "SetNamedSecurityInfoW function": setting another owner needs SE_RESTORE_NAME
            raise win32_error("SetNamedSecurityInfo", ERROR_ACCESS_DENIED, subject=path)
        self.accounts.acls[path.lower()] = FakeAcl(owner_sid, tuple(dict.fromkeys(allowed_sids)))

    def file_owner(self, path: str) -> str | None:
        acl = self.accounts.acls.get(path.lower())
        return None if acl is None else self.accounts.by_sid(acl.owner_sid)


class FakeUserenv:
    def __init__(self, accounts: FakeAccounts, *, profiles_dir: str = "C:\\Users") -> None:
        self.accounts = accounts
        self.profiles_dir = profiles_dir

    def create_profile(self, sid: str, name: str) -> str:
        if self.accounts.by_sid(sid) is None:
            # "CreateProfile function": HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)-style failure
            raise win32_error("CreateProfile", ERROR_FILE_NOT_FOUND, subject=name)
        return self.accounts.profiles.setdefault(sid, f"{self.profiles_dir}\\{name}")

    def profile_path(self, sid: str) -> str | None:
        return self.accounts.profiles.get(sid)
