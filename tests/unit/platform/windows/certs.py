"""A self-signed certificate and its PKCS#12, made on the fly for the tests."""

import datetime
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, pkcs12
from cryptography.x509.oid import NameOID


def make_pfx(password: bytes = b"pfx-pass", name: str = "win-web-01"):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(Encoding.DER)
    pfx = pkcs12.serialize_key_and_certificates(
        b"wincloud", key, cert, None, BestAvailableEncryption(password)
    )
    return pfx, der, hashlib.sha1(der).hexdigest().upper()
