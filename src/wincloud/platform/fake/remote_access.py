"""FakeRemoteAccess: Remote Desktop settings, WinRM listeners and certificate mappings, and the
firewall ports they opened. A POSIX-like fake raises NotSupported."""

from __future__ import annotations

from dataclasses import dataclass

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import RdpSettings, WinRMListener
from wincloud.platform.fake.certificates import FakeCertificates
from wincloud.platform.validate import check_port, check_thumbprint, check_username
from wincloud.secret import Secret


@dataclass(frozen=True)
class Mapping:
    subject: str
    issuer_thumbprint: str
    username: str
    password: Secret


class FakeRemoteAccess:
    def __init__(self, certificates: FakeCertificates, *, windows: bool = False) -> None:
        self.certificates = certificates
        self.windows = windows
        self._rdp = RdpSettings(enabled=False, port=3389, nla=True)
        self.listeners: list[WinRMListener] = [WinRMListener("http", 5985)]
        self.mappings: list[Mapping] = []
        self.certificate_auth = False
        self.basic_auth = False
        self.allow_unencrypted = False
        self.firewall_ports: set[int] = set()

    def _check(self, operation: str) -> None:
        if not self.windows:
            raise NotSupported("Remote Desktop and WinRM are Windows'", operation=operation)

    def rdp(self) -> RdpSettings:
        self._check("rdp")
        return self._rdp

    def set_rdp(self, settings: RdpSettings) -> bool:
        self._check("rdp")
        check_port(settings.port, operation="rdp")
        changed = settings != self._rdp
        if settings.enabled:
            self.firewall_ports.add(settings.port)
        self._rdp = settings
        return changed

    def winrm_listeners(self) -> list[WinRMListener]:
        self._check("winrm")
        return list(self.listeners)

    def set_winrm_https_listener(self, *, port: int, thumbprint: str) -> bool:
        self._check("winrm")
        check_port(port, operation="winrm")
        if not self.certificates.has(thumbprint):
            raise PlatformError(
                "no certificate with this thumbprint in LocalMachine\\My",
                operation="winrm",
                subject=thumbprint,
            )
        wanted = WinRMListener("https", port, check_thumbprint(thumbprint))
        others = [item for item in self.listeners if item.transport != "https"]
        changed = wanted not in self.listeners or len(others) + 1 != len(self.listeners)
        self.listeners = [*others, wanted]
        self.firewall_ports.add(port)
        return changed

    def set_winrm_http_listener(self, *, port: int) -> bool:
        self._check("winrm")
        check_port(port, operation="winrm")
        wanted = WinRMListener("http", port)
        others = [item for item in self.listeners if item.transport != "http"]
        changed = wanted not in self.listeners or len(others) + 1 != len(self.listeners)
        self.listeners = [wanted, *others]
        self.firewall_ports.add(port)
        return changed

    def set_winrm_service(
        self, *, basic: bool | None = None, allow_unencrypted: bool | None = None
    ) -> bool:
        self._check("winrm")
        before = (self.basic_auth, self.allow_unencrypted)
        if basic is not None:
            self.basic_auth = basic
        if allow_unencrypted is not None:
            self.allow_unencrypted = allow_unencrypted
        return before != (self.basic_auth, self.allow_unencrypted)

    def map_winrm_certificate(
        self, *, subject: str, issuer_thumbprint: str, username: str, password: Secret
    ) -> bool:
        self._check("winrm")
        check_username(username)
        wanted = Mapping(subject, check_thumbprint(issuer_thumbprint), username, password)
        changed = wanted not in self.mappings or not self.certificate_auth
        self.mappings = [m for m in self.mappings if m.subject != subject] + [wanted]
        self.certificate_auth = True
        return changed
