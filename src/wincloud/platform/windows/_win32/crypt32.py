"""LocalMachine certificate stores through crypt32 (CertOpenStore, CertEnumCertificatesInStore,
PFXImportCertStore, CertAddCertificateContextToStore, CertAddEncodedCertificateToStore), via
pywin32's win32crypt. One method per call family, no decisions."""

from __future__ import annotations

import sys
from typing import Any, Final, Protocol

from wincloud.errors import NotSupported
from wincloud.platform.windows._win32.errors import win32_error

CERT_STORE_PROV_SYSTEM: Final = 10
CERT_SYSTEM_STORE_LOCAL_MACHINE: Final = 0x00020000
CERT_KEY_PROV_INFO_PROP_ID: Final = 2
CERT_SHA1_HASH_PROP_ID: Final = 3
CERT_STORE_ADD_REPLACE_EXISTING: Final = 3
X509_ASN_ENCODING: Final = 1
CRYPT_MACHINE_KEYSET: Final = 0x20
ERROR_INVALID_PASSWORD: Final = 86  # "PFXImportCertStore function": a wrong password


class CertStore(Protocol):
    def find(self, store: str, thumbprint: str) -> bool | None:
        """None: no such certificate; else whether it has a private key."""
        ...

    def import_pfx(self, pfx: bytes, password: str) -> list[str]:
        """Import certificates and keys into LocalMachine\\My (keys in the machine key set);
        returns their thumbprints (uppercase hex)."""
        ...

    def add(self, store: str, der: bytes) -> None: ...


def _windows_only(operation: str) -> None:
    if sys.platform != "win32":
        raise NotSupported("certificate stores exist on Windows only", operation=operation)


class Win32CertStore:
    @staticmethod
    def _open(name: str) -> Any:
        import win32crypt

        return win32crypt.CertOpenStore(
            CERT_STORE_PROV_SYSTEM, 0, None, CERT_SYSTEM_STORE_LOCAL_MACHINE, name
        )

    def find(self, store: str, thumbprint: str) -> bool | None:
        _windows_only("CertOpenStore")
        import pywintypes

        try:
            handle = self._open(store)
            try:
                for cert in handle.CertEnumCertificatesInStore():
                    found = cert.CertGetCertificateContextProperty(CERT_SHA1_HASH_PROP_ID)
                    if bytes(found).hex().upper() != thumbprint:
                        continue
                    try:
                        cert.CertGetCertificateContextProperty(CERT_KEY_PROV_INFO_PROP_ID)
                    except pywintypes.error:
                        return False
                    return True
            finally:
                handle.CertCloseStore()
        except pywintypes.error as exc:
            raise win32_error("CertOpenStore", int(exc.winerror), subject=store) from None
        return None

    def import_pfx(self, pfx: bytes, password: str) -> list[str]:
        _windows_only("PFXImportCertStore")
        import pywintypes
        import win32crypt

        try:
            source: Any = win32crypt.PFXImportCertStore(pfx, password, CRYPT_MACHINE_KEYSET)
            target = self._open("My")
            out = []
            try:
                for cert in source.CertEnumCertificatesInStore():
                    target.CertAddCertificateContextToStore(cert, CERT_STORE_ADD_REPLACE_EXISTING)
                    digest = cert.CertGetCertificateContextProperty(CERT_SHA1_HASH_PROP_ID)
                    out.append(bytes(digest).hex().upper())
            finally:
                target.CertCloseStore()
                source.CertCloseStore()
        except pywintypes.error as exc:
            raise win32_error("PFXImportCertStore", int(exc.winerror)) from None
        return out

    def add(self, store: str, der: bytes) -> None:
        _windows_only("CertAddEncodedCertificateToStore")
        import pywintypes

        try:
            handle = self._open(store)
            try:
                handle.CertAddEncodedCertificateToStore(
                    X509_ASN_ENCODING, der, CERT_STORE_ADD_REPLACE_EXISTING
                )
            finally:
                handle.CertCloseStore()
        except pywintypes.error as exc:
            raise win32_error("CertAddEncodedCertificateToStore", int(exc.winerror)) from None
