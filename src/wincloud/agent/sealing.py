"""Generated passwords, sealed for Nova's get-password: RSA PKCS#1 v1.5 encryption with the
instance's ``ssh-rsa`` public key, base64 of the ciphertext posted as the body. The operator
opens it with the private key (``nova get-password``, ``wincloud password decrypt``)."""

from __future__ import annotations

import base64
import binascii
import secrets
import string
from typing import Final

from wincloud.errors import ConfigError
from wincloud.secret import Secret

MAX_POSTED: Final = 1020
"""Nova stores 4 chunks of 255 characters."""
SYMBOLS: Final = "!#%+-.=@^_~"
"""Punctuation safe in shells, XML (unattend.xml) and URLs."""
CLASSES: Final = (string.ascii_uppercase, string.ascii_lowercase, string.digits, SYMBOLS)


def generate_password(length: int = 20) -> Secret:
    """Random, with every character class (Windows' complexity rule wants three of four)."""
    if length < len(CLASSES):
        raise ValueError("password length too short")
    alphabet = "".join(CLASSES)
    chars = [secrets.choice(cls) for cls in CLASSES]
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return Secret("".join(chars))


def seal_password(password: Secret, public_key: str) -> bytes:
    """base64(RSA-PKCS1v15(password)) with an OpenSSH ``ssh-rsa`` key line."""
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    try:
        key = load_ssh_public_key(public_key.strip().encode())
    except (ValueError, TypeError):
        raise ConfigError("not a readable OpenSSH public key", subject="public_keys") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigError("only ssh-rsa keys can seal a password", subject="public_keys")
    ciphertext = key.encrypt(password.reveal().encode("utf-8"), padding.PKCS1v15())
    return base64.b64encode(ciphertext)


def is_encrypted_key(private_key_pem: bytes) -> bool:
    """True when the private key file needs a passphrase."""
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_ssh_private_key,
    )

    try:
        if private_key_pem.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            load_ssh_private_key(private_key_pem, None)
        else:
            load_pem_private_key(private_key_pem, None)
    except TypeError:
        return True
    except ValueError:
        return False
    return False


def open_password(sealed: bytes, private_key_pem: bytes, *, passphrase: bytes | None) -> Secret:
    """The reverse of ``seal_password`` (operator side). ConfigError on a wrong key or data."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_ssh_private_key,
    )

    key: object
    try:
        if private_key_pem.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"):
            key = load_ssh_private_key(private_key_pem, passphrase)
        else:
            key = load_pem_private_key(private_key_pem, passphrase)
    except UnsupportedAlgorithm:
        raise ConfigError(
            "cannot open this encrypted OpenSSH key: the bcrypt package is not installed",
            subject="--key",
            hint="pip install bcrypt, or decrypt a copy: ssh-keygen -p -N '' -f COPY",
        ) from None
    except TypeError as exc:  # encrypted without passphrase, or the reverse
        raise ConfigError(f"cannot load the private key ({exc})", subject="--key") from None
    except ValueError:
        raise ConfigError(
            "cannot load the private key (wrong passphrase or not a key)", subject="--key"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the private key is not an RSA key", subject="--key")
    try:
        ciphertext = base64.b64decode(b"".join(sealed.split()), validate=True)
    except binascii.Error:
        raise ConfigError("the encrypted password is not base64", subject="password") from None
    if not ciphertext:
        raise ConfigError("no password has been posted yet", subject="password")
    wrong_key = ConfigError(
        "cannot decrypt: this is not the key the password was sealed with", subject="--key"
    )
    try:
        # With implicit rejection (OpenSSL 3.2+) a wrong key yields random bytes, not an
        # error: a password is printable text, random bytes practically never are.
        text = key.decrypt(ciphertext, padding.PKCS1v15()).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise wrong_key from None
    if not text or not text.isprintable():
        raise wrong_key
    return Secret(text)
