"""Public keys are checked down to the key inside: a key that passes is one guests can use."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.conftest import ED25519_KEY, RSA_KEY, RSA_KEY_3072, instance_record
from wincloud.errors import ConfigError
from wincloud.model import load_stored_instance, parse_instance
from wincloud.model.keys import check_public_key


def openssh(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def wire(*parts: bytes) -> str:
    return base64.b64encode(b"".join(struct.pack(">I", len(p)) + p for p in parts)).decode()


def mpint(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0: positive


OFF_CURVE = wire(b"ecdsa-sha2-nistp256", b"nistp256", b"\x04" + b"\1" * 64)


def rejected(key: str) -> str:
    with pytest.raises(ValueError) as caught:
        check_public_key(key)
    return str(caught.value)


@pytest.mark.parametrize(
    "key",
    [
        RSA_KEY,
        RSA_KEY_3072,
        ED25519_KEY,
        ED25519_KEY.rsplit(" ", 1)[0],  # no comment
        RSA_KEY + " with a comment of several words",
    ],
)
def test_real_keys_pass(key):
    assert check_public_key(key) == key


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_real_ecdsa_keys_pass(curve):
    key = openssh(ec.generate_private_key(curve)) + " ecdsa@wc"
    assert check_public_key(key) == key


def test_security_key_types_pass():
    ed = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    sk_ed = f"sk-ssh-ed25519@openssh.com {wire(b'sk-ssh-ed25519@openssh.com', ed, b'ssh:')} a@b"
    assert check_public_key(sk_ed) == sk_ed
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    sk_ec = wire(b"sk-ecdsa-sha2-nistp256@openssh.com", b"nistp256", point, b"ssh:")
    assert check_public_key(f"sk-ecdsa-sha2-nistp256@openssh.com {sk_ec}")


def test_the_key_that_broke_guests_is_refused():
    assert "truncated" in rejected("ssh-rsa AAAA")


def test_surrounding_spaces_are_dropped():
    assert check_public_key(f"  {ED25519_KEY}  ") == ED25519_KEY


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("ssh-rsa", "not an OpenSSH public key"),
        ("ssh-rsa !!!notbase64", "not valid base64"),
        ("ssh-foo AAAAB3NzaC1yc2E=", "not accepted"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "DSA keys are refused"),
        ('command="evil" ' + RSA_KEY, "not accepted"),
        ("ssh-rsa " + ED25519_KEY.split()[1], "'ssh-ed25519' key but the line says ssh-rsa"),
        ("ssh-ed25519 " + RSA_KEY.split()[1], "'ssh-rsa' key but the line says ssh-ed25519"),
        ("ssh-ed25519 " + wire(b"ssh-ed25519", b"\x01" * 31), "32 bytes"),
        ("ssh-ed25519 " + wire(b"ssh-ed25519", b"\x01" * 32, b"x"), "trailing bytes"),
        ("ecdsa-sha2-nistp256 " + wire(b"ecdsa-sha2-nistp256", b"nistp384"), "another curve"),
        (f"ecdsa-sha2-nistp256 {OFF_CURVE}", "not on nistp256"),
        ("ssh-rsa " + wire(b"ssh-rsa", mpint(65537), b"\x80" + b"\0" * 255), "negative"),
        ("ssh-rsa " + wire(b"ssh-rsa", mpint(4), mpint((1 << 2047) + 1)), "not an RSA public key"),
    ],
)
def test_broken_keys_say_what_is_wrong(key, says):
    assert says in rejected(key)


def test_rsa_keys_under_2048_bits_are_refused():
    small = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    assert "has 1024 bits; at least 2048" in rejected(small)


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00", "\t", "\u2028", "\x85"])
@pytest.mark.parametrize("where", ["end", "comment", "middle"])
def test_a_key_is_one_line(bad, where):
    key = {
        "end": RSA_KEY + bad,
        "comment": RSA_KEY + f" a{bad}command=x ssh-rsa AAAA",
        "middle": RSA_KEY.replace(" ", bad, 1),
    }[where]
    assert "control character" in rejected(key)


def test_record_names_the_bad_key(make_instance):
    with pytest.raises(ConfigError) as caught:
        make_instance(public_keys={"good": RSA_KEY, "mykey": "ssh-rsa AAAA"})
    assert "public_keys.mykey: the key data is truncated" in caught.value.message
    assert "good" not in caught.value.message


def test_only_spaces_separate_the_words():
    with_nbsp = RSA_KEY.replace(" ", "\u00a0", 1)
    assert "is not accepted" in rejected(with_nbsp)
    assert check_public_key(RSA_KEY.replace(" ", "   ", 1)) == RSA_KEY.replace(" ", "   ", 1)


def test_a_stored_record_is_not_checked_down_to_the_key_again():
    """The store checked the key when the record was written; reading it back checks its
    structure only (the key check costs more than the rest of the record)."""
    short = openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    record = instance_record(public_keys={"k": short})
    with pytest.raises(ConfigError):
        parse_instance(dict(record))
    assert load_stored_instance(dict(record)).public_keys == {"k": short}
    with pytest.raises(ConfigError):  # what is not a string is still refused
        load_stored_instance({**record, "public_keys": {"k": 5}})
