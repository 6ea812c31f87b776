"""Fake certificate stores (thumbprints and private keys, PKCS#12 read with ``cryptography``)
and a fake WS-Management configuration (resources as XML field sets)."""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.windows._win32.crypt32 import ERROR_INVALID_PASSWORD
from wincloud.platform.windows._win32.errors import win32_error
from wincloud.platform.windows._win32.wsman import WSMAN_NOT_FOUND

WSMAN_ALREADY_EXISTS: Final = 0x803380B7
"""Create of a resource that exists ("WinRM error 2150859191")."""


class FakeCertStore:
    def __init__(self) -> None:
        self.stores: dict[str, dict[str, bool]] = {"My": {}, "Root": {}, "TrustedPeople": {}}

    def find(self, store: str, thumbprint: str) -> bool | None:
        return self.stores.get(store, {}).get(thumbprint)

    def import_pfx(self, pfx: bytes, password: str) -> list[str]:
        from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

        try:
            key, cert, extra = pkcs12.load_key_and_certificates(pfx, password.encode() or None)
        except ValueError:
            # "PFXImportCertStore function": a wrong password fails with ERROR_INVALID_PASSWORD
            raise win32_error("PFXImportCertStore", ERROR_INVALID_PASSWORD) from None
        out = []
        for index, item in enumerate([cert, *extra]):
            if item is None:
                continue
            thumb = hashlib.sha1(item.public_bytes(Encoding.DER)).hexdigest().upper()  # noqa: S324
            self.stores["My"][thumb] = index == 0 and key is not None
            out.append(thumb)
        return out

    def add(self, store: str, der: bytes) -> None:
        thumb = hashlib.sha1(der).hexdigest().upper()  # noqa: S324 - a thumbprint, not security
        self.stores.setdefault(store, {}).setdefault(thumb, False)


def _key(resource: str) -> str:
    base, _, selectors = resource.partition("?")
    parts = sorted(p.lower() for p in selectors.split("+") if p)
    return base.lower() + ("?" + "+".join(parts) if parts else "")


def fields(xml: str) -> dict[str, str]:
    """The leaf elements of a WS-Man config document: local name -> text."""
    root = ET.fromstring(xml)  # noqa: S314 - our own documents
    return {re.sub(r"^\{.*\}", "", el.tag): (el.text or "") for el in root.iter() if len(el) == 0}


def render(tag: str, values: dict[str, str]) -> str:
    body = "".join(f"<p:{k}>{v}</p:{k}>" for k, v in values.items())
    return f'<p:{tag} xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/config">{body}</p:{tag}>'


class FakeWsMan:
    def __init__(self) -> None:
        self.resources: dict[str, tuple[str, dict[str, str]]] = {}
        self.running = True
        """False: the WinRM service is stopped and every call fails."""
        listener = {"Address": "*", "Transport": "HTTP", "Port": "5985", "Enabled": "true"}
        self.resources[_key("winrm/config/Listener?Address=*+Transport=HTTP")] = (
            "Listener",
            listener,
        )
        self.resources[_key("winrm/config/service")] = (
            "Service",
            {"AllowUnencrypted": "false", "MaxConcurrentOperationsPerUser": "1500"},
        )
        self.resources[_key("winrm/config/service/auth")] = (
            "Auth",
            {"Basic": "false", "Kerberos": "true", "Certificate": "false"},
        )

    def _check(self, resource: str) -> None:
        if not self.running:
            raise PlatformError(
                "WinRM get failed", operation="wsman", os_code=0x80338012, subject=resource
            )

    def get(self, resource: str) -> str | None:
        self._check(resource)
        found = self.resources.get(_key(resource))
        return None if found is None else render(*found)

    def enumerate(self, resource: str) -> list[str]:
        self._check(resource)
        prefix = _key(resource)
        return [render(*v) for k, v in sorted(self.resources.items()) if k.startswith(prefix + "?")]

    def create(self, resource: str, xml: str) -> None:
        self._check(resource)
        if _key(resource) in self.resources:
            raise PlatformError(
                "WinRM create failed", operation="wsman", os_code=WSMAN_ALREADY_EXISTS
            )
        values = fields(xml)
        for selector in resource.partition("?")[2].split("+"):
            name, _, value = selector.partition("=")
            if name:
                values.setdefault(name, value)
        tag = re.sub(r"^\{.*\}", "", ET.fromstring(xml).tag)  # noqa: S314
        self.resources[_key(resource)] = (tag, values)

    def put(self, resource: str, xml: str) -> None:
        self._check(resource)
        found = self.resources.get(_key(resource))
        if found is None:
            raise PlatformError("WinRM put failed", operation="wsman", os_code=WSMAN_NOT_FOUND)
        found[1].update(fields(xml))

    def delete(self, resource: str) -> None:
        self._check(resource)
        if self.resources.pop(_key(resource), None) is None:
            raise PlatformError("WinRM delete failed", operation="wsman", os_code=WSMAN_NOT_FOUND)
