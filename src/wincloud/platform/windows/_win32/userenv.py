"""User profiles through userenv (CreateProfile): a new account's profile folder is created
the way the first logon would, so files can be put in it before anyone logs on."""

from __future__ import annotations

import sys
from typing import Final, Protocol

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import win32_error

HRESULT_ALREADY_EXISTS: Final = 0x800700B7  # HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS)


class Userenv(Protocol):
    def create_profile(self, sid: str, name: str) -> str:
        """CreateProfile: the profile folder (``C:\\Users\\name``); the existing one when the
        profile already exists."""
        ...

    def profile_path(self, sid: str) -> str | None:
        """The ProfileImagePath of an existing profile, None when there is none."""
        ...


class Win32Userenv:
    def create_profile(self, sid: str, name: str) -> str:
        if sys.platform != "win32":
            raise NotSupported("userenv exists on Windows only", operation="CreateProfile")
        import ctypes

        buffer = ctypes.create_unicode_buffer(260)
        result = ctypes.WinDLL("userenv").CreateProfile(sid, name, buffer, len(buffer))
        if result & 0xFFFFFFFF == HRESULT_ALREADY_EXISTS:
            existing = self.profile_path(sid)
            if existing is not None:
                return existing
        if result != 0:
            raise win32_error("CreateProfile", result & 0xFFFFFFFF, subject=name)
        return buffer.value

    def profile_path(self, sid: str) -> str | None:
        from wincloud.platform.windows._win32.registry import WinRegistry

        key = rf"SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\{sid}"
        return WinRegistry().read_text(key, "ProfileImagePath")
