"""Local accounts through netapi32 (NetUserAdd, NetUserGetInfo, NetUserSetInfo,
NetUserGetLocalGroups, NetLocalGroupGetInfo, NetLocalGroupAdd, NetLocalGroupAddMembers).
One method per call; failures become PlatformError with the Win32/NERR code in ``os_code``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Final, Protocol, TypeVar, cast

from msgspec import Struct

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import (
    ERROR_NO_SUCH_ALIAS,
    NERR_GroupNotFound,
    NERR_UserNotFound,
    win32_error,
)

# "USER_INFO_1 structure" (lmaccess.h): usri1_flags bits
UF_SCRIPT: Final = 0x0001
UF_ACCOUNTDISABLE: Final = 0x0002
UF_PASSWD_NOTREQD: Final = 0x0020
UF_NORMAL_ACCOUNT: Final = 0x0200
UF_DONT_EXPIRE_PASSWD: Final = 0x10000
USER_PRIV_USER: Final = 1

T = TypeVar("T")


class UserInfo(Struct, frozen=True):
    name: str
    flags: int
    """UF_* bits (USER_INFO_1.usri1_flags)."""

    @property
    def is_disabled(self) -> bool:
        return bool(self.flags & UF_ACCOUNTDISABLE)


class NetApi(Protocol):
    def user_get(self, name: str) -> UserInfo | None:
        """NetUserGetInfo level 1; None for NERR_UserNotFound."""
        ...

    def user_add(self, name: str, password: str, *, flags: int, comment: str = "") -> None:
        """NetUserAdd level 1 (NERR_UserExists when present)."""
        ...

    def user_set_password(self, name: str, password: str) -> None:
        """NetUserSetInfo level 1003."""
        ...

    def user_set_flags(self, name: str, flags: int) -> None:
        """NetUserSetInfo level 1008."""
        ...

    def user_expire_password(self, name: str) -> None:
        """NetUserGetInfo + NetUserSetInfo level 3 with usri3_password_expired = 1: the user
        must change the password at the next logon."""
        ...

    def user_local_groups(self, name: str) -> list[str]:
        """NetUserGetLocalGroups: the local groups the user belongs to (directly)."""
        ...

    def group_exists(self, group: str) -> bool:
        """NetLocalGroupGetInfo level 0; False for NERR_GroupNotFound / ERROR_NO_SUCH_ALIAS."""
        ...

    def group_add(self, group: str, *, comment: str = "") -> None:
        """NetLocalGroupAdd level 1 (ERROR_ALIAS_EXISTS / NERR_GroupExists when present)."""
        ...

    def group_add_member(self, group: str, user: str) -> None:
        """NetLocalGroupAddMembers level 3 (ERROR_MEMBER_IN_ALIAS when already a member)."""
        ...


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("netapi32 exists on Windows only", operation=operation)


def _call(operation: str, subject: str, call: Callable[[], T]) -> T:
    _windows_only(operation)
    import pywintypes

    try:
        return call()
    except pywintypes.error as exc:
        code = int(exc.winerror)
        raise win32_error(operation, code, detail=str(exc.strerror), subject=subject) from None


class Win32NetApi:
    """The real binding (pywin32's win32net), imported on first use."""

    def user_get(self, name: str) -> UserInfo | None:
        _windows_only("NetUserGetInfo")
        import pywintypes
        import win32net

        try:
            info = win32net.NetUserGetInfo(_LOCAL, name, 1)
        except pywintypes.error as exc:
            if exc.winerror == NERR_UserNotFound:
                return None
            raise win32_error("NetUserGetInfo", int(exc.winerror), subject=name) from None
        return UserInfo(str(info["name"]), int(info["flags"]))

    def user_add(self, name: str, password: str, *, flags: int, comment: str = "") -> None:
        _windows_only("NetUserAdd")
        import win32net

        data = {
            "name": name,
            "password": password,
            "priv": USER_PRIV_USER,
            "home_dir": None,
            "comment": comment or None,
            "flags": flags,
            "script_path": None,
        }
        _call("NetUserAdd", name, lambda: win32net.NetUserAdd(_LOCAL, 1, data))

    def user_set_password(self, name: str, password: str) -> None:
        _windows_only("NetUserSetInfo")
        import win32net

        data = {"password": password}
        _call("NetUserSetInfo", name, lambda: win32net.NetUserSetInfo(_LOCAL, name, 1003, data))

    def user_set_flags(self, name: str, flags: int) -> None:
        _windows_only("NetUserSetInfo")
        import win32net

        data = {"flags": flags}
        _call("NetUserSetInfo", name, lambda: win32net.NetUserSetInfo(_LOCAL, name, 1008, data))

    def user_expire_password(self, name: str) -> None:
        _windows_only("NetUserSetInfo")
        import win32net

        def expire() -> None:
            info = win32net.NetUserGetInfo(_LOCAL, name, 3)
            info["password_expired"] = 1
            win32net.NetUserSetInfo(_LOCAL, name, 3, info)

        _call("NetUserSetInfo", name, expire)

    def user_local_groups(self, name: str) -> list[str]:
        _windows_only("NetUserGetLocalGroups")
        import win32net

        groups = _call(
            "NetUserGetLocalGroups", name, lambda: win32net.NetUserGetLocalGroups(_LOCAL, name, 0)
        )
        return [str(group) for group in groups]

    def group_exists(self, group: str) -> bool:
        _windows_only("NetLocalGroupGetInfo")
        import pywintypes
        import win32net

        try:
            win32net.NetLocalGroupGetInfo(_LOCAL, group, 0)
        except pywintypes.error as exc:
            if exc.winerror in (NERR_GroupNotFound, ERROR_NO_SUCH_ALIAS):
                return False
            raise win32_error("NetLocalGroupGetInfo", int(exc.winerror), subject=group) from None
        return True

    def group_add(self, group: str, *, comment: str = "") -> None:
        _windows_only("NetLocalGroupAdd")
        import win32net

        data = {"name": group, "comment": comment}
        _call("NetLocalGroupAdd", group, lambda: win32net.NetLocalGroupAdd(_LOCAL, 1, data))

    def group_add_member(self, group: str, user: str) -> None:
        _windows_only("NetLocalGroupAddMembers")
        import win32net

        members = cast("tuple[object, object]", [{"domainandname": user}])
        _call(
            "NetLocalGroupAddMembers",
            group,
            lambda: win32net.NetLocalGroupAddMembers(_LOCAL, group, 3, members),
        )


_LOCAL: Final = cast(str, None)
"""NULL server name: the local computer (the stubs type the parameter as str)."""
