"""FakeCertificates: LocalMachine stores in memory. PKCS#12 files are really parsed (with
``cryptography``), so a plugin's certificate is checked the way Windows would read it. A
POSIX-like fake raises NotSupported."""

from __future__ import annotations

import hashlib
from typing import Literal

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.validate import check_thumbprint
from wincloud.secret import Secret


def thumbprint_of(der: bytes) -> str:
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


class FakeCertificates:
    def __init__(self, *, windows: bool = False) -> None:
        self.windows = windows
        self.stores: dict[str, dict[str, bytes]] = {"My": {}, "Root": {}, "TrustedPeople": {}}

    def _check(self, operation: str) -> None:
        if not self.windows:
            raise NotSupported("certificate stores are Windows'", operation=operation)

    def has(self, thumbprint: str) -> bool:
        self._check("certificate")
        return check_thumbprint(thumbprint) in self.stores["My"]

    def import_pfx(self, pfx: bytes, password: Secret) -> str:
        self._check("import_pfx")
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

        try:
            key, cert, _ = pkcs12.load_key_and_certificates(pfx, password.reveal().encode())
        except ValueError:
            raise PlatformError(
                "not a PKCS#12 file, or a wrong password", operation="import_pfx"
            ) from None
        if key is None or cert is None:
            raise PlatformError("the PKCS#12 file lacks a key or a certificate", operation="pfx")
        der = cert.public_bytes(Encoding.DER)
        thumbprint = thumbprint_of(der)
        self.stores["My"][thumbprint] = der
        return thumbprint

    def trust(self, certificate_der: bytes, *, store: Literal["Root", "TrustedPeople"]) -> str:
        self._check("trust_certificate")
        from cryptography import x509

        try:
            x509.load_der_x509_certificate(certificate_der)
        except ValueError:
            raise PlatformError("not a DER certificate", operation="trust_certificate") from None
        thumbprint = thumbprint_of(certificate_der)
        self.stores[store][thumbprint] = certificate_der
        return thumbprint
