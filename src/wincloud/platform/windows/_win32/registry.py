"""Registry values under HKEY_LOCAL_MACHINE (64-bit view): text, DWORD and multi-string values,
keys and their sub-keys. One method per Win32 call family (RegOpenKeyEx/RegQueryValueEx/
RegSetValueEx/RegDeleteValue/RegEnumKeyEx), no decisions."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Protocol

from wincloud.errors import NotSupported, PlatformError


class Registry(Protocol):
    def read_text(self, key: str, name: str) -> str | None:
        """A REG_SZ (or REG_EXPAND_SZ, unexpanded) value; None when the key or value is absent."""
        ...

    def write_text(self, key: str, name: str, value: str) -> None:
        """Set a REG_SZ value (the key is created when missing). One value is replaced as a
        whole: a reader sees the old text or the new."""
        ...


class FullRegistry(Registry, Protocol):
    """What the settings, RDP, NTP and time-zone decisions need beyond text values."""

    def read_dword(self, key: str, name: str) -> int | None: ...

    def write_dword(self, key: str, name: str, value: int) -> None: ...

    def read_multi(self, key: str, name: str) -> list[str] | None: ...

    def write_multi(self, key: str, name: str, value: Sequence[str]) -> None: ...

    def delete_value(self, key: str, name: str) -> bool:
        """False when there was no such value."""
        ...

    def has_key(self, key: str) -> bool: ...

    def subkeys(self, key: str) -> list[str]:
        """Names of the key's sub-keys; [] when the key does not exist."""
        ...


def _windows_only() -> None:
    if sys.platform != "win32":
        raise NotSupported("the registry exists on Windows only", operation="registry")


class WinRegistry:
    def _read(self, key: str, name: str, kinds: tuple[int, ...]) -> object | None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                    value, kind = winreg.QueryValueEx(handle, name)
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise _error("RegQueryValueEx", exc, key) from None
            if kind not in kinds:
                raise PlatformError(
                    "registry value has another type", operation="registry", subject=key
                )
            found: object = value
            return found
        return None  # pragma: no cover

    def _write(self, key: str, name: str, kind: int, value: int | str | list[str]) -> None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            access = winreg.KEY_WRITE | winreg.KEY_WOW64_64KEY
            try:
                with winreg.CreateKeyEx(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                    winreg.SetValueEx(handle, name, 0, kind, value)
            except OSError as exc:
                raise _error("RegSetValueEx", exc, key) from None

    def read_text(self, key: str, name: str) -> str | None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            value = self._read(key, name, (winreg.REG_SZ, winreg.REG_EXPAND_SZ))
            return value if isinstance(value, str) else None
        return None  # pragma: no cover

    def write_text(self, key: str, name: str, value: str) -> None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            self._write(key, name, winreg.REG_SZ, value)

    def read_dword(self, key: str, name: str) -> int | None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            value = self._read(key, name, (winreg.REG_DWORD,))
            return value if isinstance(value, int) else None
        return None  # pragma: no cover

    def write_dword(self, key: str, name: str, value: int) -> None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            self._write(key, name, winreg.REG_DWORD, value)

    def read_multi(self, key: str, name: str) -> list[str] | None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            value = self._read(key, name, (winreg.REG_MULTI_SZ,))
            return [str(v) for v in value] if isinstance(value, list) else None
        return None  # pragma: no cover

    def write_multi(self, key: str, name: str, value: Sequence[str]) -> None:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            self._write(key, name, winreg.REG_MULTI_SZ, list(value))

    def delete_value(self, key: str, name: str) -> bool:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            access = winreg.KEY_SET_VALUE | winreg.KEY_WOW64_64KEY
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                    winreg.DeleteValue(handle, name)
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise _error("RegDeleteValue", exc, key) from None
            return True
        return False  # pragma: no cover

    def has_key(self, key: str) -> bool:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, access):
                    return True
            except FileNotFoundError:
                return False
            except OSError as exc:
                raise _error("RegOpenKeyEx", exc, key) from None
        return False  # pragma: no cover

    def subkeys(self, key: str) -> list[str]:
        _windows_only()
        if sys.platform == "win32":
            import winreg

            access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
            names: list[str] = []
            try:
                with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, key, 0, access) as handle:
                    count = winreg.QueryInfoKey(handle)[0]
                    names = [winreg.EnumKey(handle, index) for index in range(count)]
            except FileNotFoundError:
                return []
            except OSError as exc:
                raise _error("RegEnumKeyEx", exc, key) from None
            return names
        return []  # pragma: no cover


def _error(operation: str, exc: OSError, key: str) -> PlatformError:
    code = getattr(exc, "winerror", None) or exc.errno
    return PlatformError(
        f"{operation} failed", operation=operation, os_code=code, detail=str(exc), subject=key
    )
