"""Computer names, system directories, WOW64 and drive-letter volumes through kernel32
(GetComputerNameExW, SetComputerNameExW, GetWindowsDirectoryW, IsWow64Process,
GetLogicalDriveStringsW, GetVolumeInformationW). One method per call, no decisions."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Protocol

from msgspec import Struct

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import win32_error


class NameKind(IntEnum):
    """COMPUTER_NAME_FORMAT ("COMPUTER_NAME_FORMAT enumeration (sysinfoapi.h)")."""

    NETBIOS = 0
    DNS_HOSTNAME = 1
    DNS_DOMAIN = 2
    DNS_FULLY_QUALIFIED = 3
    PHYSICAL_NETBIOS = 4
    PHYSICAL_DNS_HOSTNAME = 5
    PHYSICAL_DNS_DOMAIN = 6
    PHYSICAL_DNS_FULLY_QUALIFIED = 7


class VolumeInfo(Struct, frozen=True):
    root: str
    """``D:\\``"""
    label: str
    filesystem: str


class Kernel32(Protocol):
    def computer_name(self, kind: NameKind) -> str:
        """GetComputerNameExW: the name in effect now (not one pending a reboot)."""
        ...

    def set_computer_name(self, kind: NameKind, name: str) -> None:
        """SetComputerNameExW (PHYSICAL_DNS_HOSTNAME or PHYSICAL_DNS_DOMAIN): effective after
        a reboot; ERROR_INVALID_COMPUTERNAME for a bad name."""
        ...

    def windows_directory(self) -> str: ...

    def is_wow64(self) -> bool:
        """IsWow64Process: a 32-bit process on 64-bit Windows (System32 is redirected)."""
        ...

    def volumes(self) -> list[VolumeInfo]:
        """Every drive letter with a mounted file system (GetVolumeInformationW)."""
        ...


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("kernel32 exists on Windows only", operation=operation)


class Win32Kernel32:
    def computer_name(self, kind: NameKind) -> str:
        _windows_only("GetComputerNameEx")
        import pywintypes
        import win32api

        try:
            return win32api.GetComputerNameEx(int(kind))
        except pywintypes.error as exc:
            raise win32_error("GetComputerNameEx", int(exc.winerror)) from None

    def set_computer_name(self, kind: NameKind, name: str) -> None:
        _windows_only("SetComputerNameEx")
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
            if not kernel32.SetComputerNameExW(int(kind), name):
                raise win32_error("SetComputerNameEx", ctypes.get_last_error(), subject=name)

    def windows_directory(self) -> str:
        _windows_only("GetWindowsDirectory")
        import win32api

        return win32api.GetWindowsDirectory()

    def is_wow64(self) -> bool:
        _windows_only("IsWow64Process")
        import win32process

        return bool(win32process.IsWow64Process())

    def volumes(self) -> list[VolumeInfo]:
        _windows_only("GetVolumeInformation")
        import pywintypes
        import win32api

        out = []
        for root in win32api.GetLogicalDriveStrings().split("\0"):
            if not root:
                continue
            try:
                label, _serial, _length, _flags, fs = win32api.GetVolumeInformation(root)
            except pywintypes.error:
                continue  # an empty CD drive, a disconnected share: no file system to read
            out.append(VolumeInfo(root, label, fs))
        return out
