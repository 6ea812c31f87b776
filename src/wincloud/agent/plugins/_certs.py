"""Certificates for WinRM: the self-signed server certificate (a PKCS#12 the platform
imports) and the client certificates given for certificate authentication. ``cryptography``
is imported inside the functions (the agent's start-up cost)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Final

from msgspec import Struct

from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

UPN_OID: Final = "1.3.6.1.4.1.311.20.2.3"
"""Microsoft's User Principal Name, an otherName of the subject alternative names."""
_PEM: Final = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.DOTALL
)


class ClientCertificate(Struct, frozen=True):
    der: bytes
    upn: str
    thumbprint: str
    """SHA-1 of the DER, uppercase hex (what Windows calls the thumbprint)."""
    is_self_signed: bool

    def __repr__(self) -> str:
        return f"ClientCertificate(upn={self.upn!r}, thumbprint={self.thumbprint!r})"


def thumbprint(der: bytes) -> str:
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def self_signed_pfx(hostname: str, *, days: int, password: Secret) -> bytes:
    """A 2048-bit RSA server certificate for ``hostname`` (CN and DNS name), server
    authentication only, as a PKCS#12 encrypted the way every Windows Server since 2016 can
    import (3DES and SHA-1 MAC: PFXImportCertStore before Windows 10 1709 reads no AES)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=10))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(usage, critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303 - what older PFXImportCertStore reads
        .build(password.reveal().encode())
    )
    return pkcs12.serialize_key_and_certificates(b"wincloud-winrm", key, cert, None, encryption)


def split_pem(text: bytes) -> list[bytes]:
    """The DER of every PEM certificate block in ``text``."""
    out = []
    for match in _PEM.finditer(text):
        try:
            out.append(base64.b64decode(b"".join(match.group(1).split()), validate=True))
        except ValueError:
            raise InvalidMetadata("a PEM certificate block is not base64") from None
    return out


def parse_client_certificate(der: bytes, *, where: str) -> ClientCertificate:
    """A client certificate for WinRM: it must name a UPN (``user@host``) among its subject
    alternative names, the name WinRM maps to a local account."""
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise InvalidMetadata("not an X.509 certificate", subject=where) from None
    upn = ""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        names = None
    for other in names.get_values_for_type(x509.OtherName) if names else []:
        if other.type_id.dotted_string == UPN_OID:
            upn = _der_utf8(other.value)
    if not upn:
        raise InvalidMetadata(
            "a WinRM client certificate needs a UPN (otherName 1.3.6.1.4.1.311.20.2.3)",
            subject=where,
            hint="create it with a subjectAltName otherName:UPN;UTF8:admin@localhost",
        )
    return ClientCertificate(der, upn, thumbprint(der), cert.issuer == cert.subject)


def _der_utf8(value: bytes) -> str:
    """The text of a DER UTF8String (tag 12), as the UPN otherName holds it."""
    if len(value) < 2 or value[0] != 0x0C:
        return ""
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    return value[offset : offset + length].decode("utf-8", "replace")
