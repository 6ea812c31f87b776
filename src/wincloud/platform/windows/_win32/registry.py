"""Registry values under HKEY_LOCAL_MACHINE (64-bit view), as text."""

from __future__ import annotations

import sys
from typing import Protocol

from wincloud.errors import NotSupported, PlatformError


class Registry(Protocol):
    def read_text(self, key: str, name: str) -> str | None:
        """A REG_SZ value; None when the key or the value does not exist."""
        ...

    def write_text(self, key: str, name: str, value: str) -> None:
        """Set a REG_SZ value (the key is created when missing). One value is replaced as a
        whole: a reader sees the old text or the new."""
        ...


class WinRegistry:
    def read_text(self, key: str, name: str) -> str | None:
        if sys.platform != "win32":
            raise NotSupported("the registry exists on Windows only", operation="registry")
        import winreg

        access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                value, kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise _error("RegQueryValueEx", exc, key) from None
        if kind != winreg.REG_SZ or not isinstance(value, str):
            raise PlatformError("registry value is not text", operation="registry", subject=key)
        return value

    def write_text(self, key: str, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise NotSupported("the registry exists on Windows only", operation="registry")
        import winreg

        access = winreg.KEY_WRITE | winreg.KEY_WOW64_64KEY
        try:
            with winreg.CreateKeyEx(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)
        except OSError as exc:
            raise _error("RegSetValueEx", exc, key) from None


def _error(operation: str, exc: OSError, key: str) -> PlatformError:
    code = getattr(exc, "winerror", None) or exc.errno
    return PlatformError(
        f"{operation} failed", operation=operation, os_code=code, detail=str(exc), subject=key
    )
