"""PosixRemoteAccess: Remote Desktop and WinRM are Windows'; every call is NotSupported."""

from __future__ import annotations

from typing import NoReturn

from wincloud.errors import NotSupported
from wincloud.platform.base import RdpSettings, WinRMListener
from wincloud.secret import Secret


def _no(operation: str) -> NoReturn:
    raise NotSupported("Remote Desktop and WinRM are Windows'", operation=operation)


class PosixRemoteAccess:
    def rdp(self) -> RdpSettings:
        _no("rdp")

    def set_rdp(self, settings: RdpSettings) -> bool:
        _no("rdp")

    def winrm_listeners(self) -> list[WinRMListener]:
        _no("winrm")

    def set_winrm_https_listener(self, *, port: int, thumbprint: str) -> bool:
        _no("winrm")

    def set_winrm_http_listener(self, *, port: int) -> bool:
        _no("winrm")

    def set_winrm_service(
        self, *, basic: bool | None = None, allow_unencrypted: bool | None = None
    ) -> bool:
        _no("winrm")

    def map_winrm_certificate(
        self, *, subject: str, issuer_thumbprint: str, username: str, password: Secret
    ) -> bool:
        _no("winrm")
