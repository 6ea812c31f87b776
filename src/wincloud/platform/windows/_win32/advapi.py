"""Accounts, privileges, file security and shutdown through advapi32 (LookupAccountName,
LookupAccountSid, AdjustTokenPrivileges, GetNamedSecurityInfo, SetNamedSecurityInfo,
InitiateSystemShutdownExW). One method per call family, no decisions."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Final, Protocol, cast

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import (
    ERROR_NONE_MAPPED,
    ERROR_NOT_ALL_ASSIGNED,
    win32_error,
)

# "Well-known SIDs"
SID_ADMINISTRATORS: Final = "S-1-5-32-544"
SID_USERS: Final = "S-1-5-32-545"
SID_REMOTE_DESKTOP_USERS: Final = "S-1-5-32-555"
SID_SYSTEM: Final = "S-1-5-18"
# "Privilege Constants"
SE_SHUTDOWN_NAME: Final = "SeShutdownPrivilege"
SE_RESTORE_NAME: Final = "SeRestorePrivilege"
SE_TAKE_OWNERSHIP_NAME: Final = "SeTakeOwnershipPrivilege"
# "System Shutdown Reason Codes": operating system reconfiguration, planned
SHTDN_REASON_PLANNED_RECONFIG: Final = 0x00020000 | 0x00000004 | 0x80000000


class Advapi(Protocol):
    def account_sid(self, name: str) -> str | None:
        """LookupAccountName: the string SID, None when no such account."""
        ...

    def account_name(self, sid: str) -> str | None:
        """LookupAccountSid: the (localized) account name, None when unmapped."""
        ...

    def enable_privilege(self, privilege: str) -> None:
        """AdjustTokenPrivileges on this process; ERROR_NOT_ALL_ASSIGNED when not held."""
        ...

    def initiate_shutdown(self, message: str, *, reboot: bool, reason: int) -> None:
        """InitiateSystemShutdownExW on this computer, no delay, applications not forced."""
        ...

    def restrict_file(self, path: str, *, owner_sid: str, allowed_sids: Sequence[str]) -> None:
        """SetNamedSecurityInfo: set the owner and a protected DACL granting full control to
        ``allowed_sids`` only (inherited by children)."""
        ...

    def file_owner(self, path: str) -> str | None:
        """GetNamedSecurityInfo: the owner's account name (None when unmapped)."""
        ...


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("advapi32 exists on Windows only", operation=operation)


_LOCAL: Final = cast(str, None)


class Win32Advapi:
    def account_sid(self, name: str) -> str | None:
        _windows_only("LookupAccountName")
        import pywintypes
        import win32security

        try:
            sid = win32security.LookupAccountName(None, name)[0]
        except pywintypes.error as exc:
            if exc.winerror == ERROR_NONE_MAPPED:
                return None
            raise win32_error("LookupAccountName", int(exc.winerror), subject=name) from None
        return win32security.ConvertSidToStringSid(sid)

    def account_name(self, sid: str) -> str | None:
        _windows_only("LookupAccountSid")
        import pywintypes
        import win32security

        try:
            name = win32security.LookupAccountSid(None, win32security.ConvertStringSidToSid(sid))
        except pywintypes.error as exc:
            if exc.winerror == ERROR_NONE_MAPPED:
                return None
            raise win32_error("LookupAccountSid", int(exc.winerror), subject=sid) from None
        return name[0]

    def enable_privilege(self, privilege: str) -> None:
        _windows_only("AdjustTokenPrivileges")
        import pywintypes
        import win32api
        import win32con
        import win32security

        access = win32con.TOKEN_ADJUST_PRIVILEGES | win32con.TOKEN_QUERY
        try:
            token = win32security.OpenProcessToken(win32api.GetCurrentProcess(), access)
            luid = win32security.LookupPrivilegeValue(_LOCAL, privilege)
            state = cast("object", [(luid, win32con.SE_PRIVILEGE_ENABLED)])
            win32security.AdjustTokenPrivileges(token, False, state)  # type: ignore[arg-type]
            last = win32api.GetLastError()
        except pywintypes.error as exc:
            raise win32_error(
                "AdjustTokenPrivileges", int(exc.winerror), subject=privilege
            ) from None
        if last == ERROR_NOT_ALL_ASSIGNED:
            raise win32_error("AdjustTokenPrivileges", last, subject=privilege)

    def initiate_shutdown(self, message: str, *, reboot: bool, reason: int) -> None:
        _windows_only("InitiateSystemShutdownEx")
        if sys.platform == "win32":
            import ctypes

            advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
            ok = advapi32.InitiateSystemShutdownExW(None, message, 0, False, reboot, reason)
            if not ok:
                raise win32_error("InitiateSystemShutdownEx", ctypes.get_last_error())

    def restrict_file(self, path: str, *, owner_sid: str, allowed_sids: Sequence[str]) -> None:
        _windows_only("SetNamedSecurityInfo")
        import ntsecuritycon
        import pywintypes
        import win32security

        inherit = ntsecuritycon.OBJECT_INHERIT_ACE | ntsecuritycon.CONTAINER_INHERIT_ACE
        info = (
            win32security.OWNER_SECURITY_INFORMATION
            | win32security.DACL_SECURITY_INFORMATION
            | win32security.PROTECTED_DACL_SECURITY_INFORMATION
        )
        try:
            dacl = win32security.ACL()
            for sid in dict.fromkeys(allowed_sids):
                dacl.AddAccessAllowedAceEx(
                    win32security.ACL_REVISION,
                    inherit,
                    ntsecuritycon.FILE_ALL_ACCESS,
                    win32security.ConvertStringSidToSid(sid),
                )
            owner = win32security.ConvertStringSidToSid(owner_sid)
            win32security.SetNamedSecurityInfo(
                path, win32security.SE_FILE_OBJECT, info, owner, None, dacl, None
            )
        except pywintypes.error as exc:
            raise win32_error("SetNamedSecurityInfo", int(exc.winerror), subject=path) from None

    def file_owner(self, path: str) -> str | None:
        _windows_only("GetNamedSecurityInfo")
        import pywintypes
        import win32security

        try:
            sd = win32security.GetNamedSecurityInfo(
                path, win32security.SE_FILE_OBJECT, win32security.OWNER_SECURITY_INFORMATION
            )
            sid = sd.GetSecurityDescriptorOwner()
            return win32security.LookupAccountSid(None, sid)[0]
        except pywintypes.error as exc:
            if exc.winerror == ERROR_NONE_MAPPED:
                return None
            raise win32_error("GetNamedSecurityInfo", int(exc.winerror), subject=path) from None
