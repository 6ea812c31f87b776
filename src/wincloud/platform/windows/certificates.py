"""WindowsCertificates: LocalMachine stores through crypt32. Thumbprints are computed here
(SHA-1 of the DER certificate) so an import that is already done is not repeated."""

from __future__ import annotations

import hashlib
import logging
from typing import Literal

from wincloud.errors import PlatformError
from wincloud.platform.validate import check_thumbprint
from wincloud.platform.windows._win32.crypt32 import CertStore
from wincloud.secret import Secret

log = logging.getLogger(__name__)


def thumbprint(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - the certificate's name, by spec


def pfx_thumbprint(pfx: bytes, password: Secret) -> str:
    """The thumbprint of the PKCS#12's own certificate (the one with the key)."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    try:
        secret = password.reveal().encode() or None
        _key, cert, _extra = pkcs12.load_key_and_certificates(pfx, secret)
    except ValueError:
        raise PlatformError(
            "not a PKCS#12 file, or the wrong password", operation="import_pfx"
        ) from None
    if cert is None:
        raise PlatformError("the PKCS#12 file holds no certificate", operation="import_pfx")
    return thumbprint(cert.public_bytes(Encoding.DER))


class WindowsCertificates:
    def __init__(self, store: CertStore) -> None:
        self.store = store

    def has(self, thumbprint: str) -> bool:
        return bool(self.store.find("My", check_thumbprint(thumbprint)))

    def import_pfx(self, pfx: bytes, password: Secret) -> str:
        wanted = pfx_thumbprint(pfx, password)
        if self.has(wanted):
            return wanted
        imported = self.store.import_pfx(pfx, password.reveal())
        if wanted not in imported or not self.has(wanted):
            raise PlatformError(
                "the certificate was not imported with its private key",
                operation="import_pfx",
                subject=wanted,
            )
        log.info("certificate imported store=My thumbprint=%s", wanted)
        return wanted

    def trust(self, certificate_der: bytes, *, store: Literal["Root", "TrustedPeople"]) -> str:
        from cryptography import x509

        try:
            x509.load_der_x509_certificate(certificate_der)
        except ValueError:
            raise PlatformError("not a DER certificate", operation="trust") from None
        thumb = thumbprint(certificate_der)
        if self.store.find(store, thumb) is None:
            self.store.add(store, certificate_der)
            log.info("certificate trusted store=%s thumbprint=%s", store, thumb)
        return thumb
