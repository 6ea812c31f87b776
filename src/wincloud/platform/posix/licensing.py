"""PosixLicensing: Windows licensing does not exist here; every call is NotSupported (the
licensing plugin then skips)."""

from __future__ import annotations

from typing import NoReturn

from wincloud.errors import NotSupported
from wincloud.platform.base import LicenseStatus, WindowsProduct
from wincloud.secret import Secret


def _no(operation: str) -> NoReturn:
    raise NotSupported("Windows licensing does not exist on POSIX", operation=operation)


class PosixLicensing:
    def product(self) -> WindowsProduct:
        _no("product")

    def status(self) -> LicenseStatus:
        _no("license_status")

    def install_key(self, key: Secret) -> None:
        _no("install_key")

    def set_kms_host(self, host: str) -> None:
        _no("set_kms_host")

    def activate(self) -> None:
        _no("activate")
