import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from wincloud.agent.sealing import CLASSES, generate_password, open_password, seal_password
from wincloud.errors import ConfigError
from wincloud.secret import Secret


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def openssh_public(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
        + " me@host"
    )


def test_generated_passwords_have_every_class_and_the_length():
    for _ in range(50):
        value = generate_password(16).reveal()
        assert len(value) == 16
        assert all(any(c in cls for c in value) for cls in CLASSES)
    assert generate_password() != generate_password()


def test_sealed_password_opens_with_the_private_key_as_nova_would(rsa_key):
    sealed = seal_password(Secret("Pa55-word!"), openssh_public(rsa_key))
    # what `nova get-password` does: base64-decode, RSA PKCS#1 v1.5 decrypt
    plain = rsa_key.decrypt(base64.b64decode(sealed), padding.PKCS1v15())
    assert plain == b"Pa55-word!"


def test_open_password_accepts_pem_and_openssh_private_keys(rsa_key):
    sealed = seal_password(Secret("Pa55-word!"), openssh_public(rsa_key))
    for fmt in (
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.PrivateFormat.OpenSSH,
    ):
        pem = rsa_key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())
        assert open_password(sealed, pem, passphrase=None) == Secret("Pa55-word!")


def test_encrypted_private_key_needs_its_passphrase(rsa_key):
    sealed = seal_password(Secret("x-y-z-1"), openssh_public(rsa_key))
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"hunter2"),
    )
    assert open_password(sealed, pem, passphrase=b"hunter2") == Secret("x-y-z-1")
    with pytest.raises(ConfigError):
        open_password(sealed, pem, passphrase=None)
    with pytest.raises(ConfigError):
        open_password(sealed, pem, passphrase=b"wrong")


def test_only_rsa_keys_can_seal():
    ed = ed25519.Ed25519PrivateKey.generate()
    with pytest.raises(ConfigError, match="ssh-rsa"):
        seal_password(Secret("x"), openssh_public(ed))


def test_garbage_is_refused(rsa_key):
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigError, match="base64"):
        open_password(b"%%%", pem, passphrase=None)
    with pytest.raises(ConfigError, match="no password"):
        open_password(b"", pem, passphrase=None)
    with pytest.raises(ConfigError):
        seal_password(Secret("x"), "ssh-rsa not-base64")


def test_the_wrong_key_is_reported(rsa_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sealed = seal_password(Secret("Pa55-word!"), openssh_public(rsa_key))
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ConfigError, match="not the key"):
        open_password(sealed, pem, passphrase=None)


def test_an_encrypted_openssh_key_opens_with_its_passphrase(rsa_key):
    """ssh-keygen's default format: OpenSSH, bcrypt KDF (needs the bcrypt package)."""
    sealed = seal_password(Secret("x-y-z-2"), openssh_public(rsa_key))
    key = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.BestAvailableEncryption(b"correct horse"),
    )
    assert key.startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert open_password(sealed, key, passphrase=b"correct horse") == Secret("x-y-z-2")
    with pytest.raises(ConfigError, match="wrong passphrase"):
        open_password(sealed, key, passphrase=b"wrong")
