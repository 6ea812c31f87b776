"""PosixCertificates: there is no machine certificate store to manage here; every call is
NotSupported."""

from __future__ import annotations

from typing import Literal, NoReturn

from wincloud.errors import NotSupported
from wincloud.secret import Secret


def _no(operation: str) -> NoReturn:
    raise NotSupported("certificate stores are Windows'", operation=operation)


class PosixCertificates:
    def has(self, thumbprint: str) -> bool:
        _no("certificate")

    def import_pfx(self, pfx: bytes, password: Secret) -> str:
        _no("import_pfx")

    def trust(self, certificate_der: bytes, *, store: Literal["Root", "TrustedPeople"]) -> str:
        _no("trust_certificate")
