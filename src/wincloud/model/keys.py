"""Public keys and MAC addresses: small value checks shared by the model.

A public key is checked the way a guest will use it: the line is ``<type> <base64> [comment]``
on one line, the base64 blob is OpenSSH's wire format, its embedded type is the declared one,
and the key inside is big enough (RSA at least 2048 bits) and well formed. A key that passes
here is one ``ssh-keygen -l`` reads, so a typo fails when the record is added, not at the
guest's first boot.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

_MAC: Final = re.compile(r"[0-9a-f]{2}([:-][0-9a-f]{2}){5}", re.IGNORECASE)
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators (str.splitlines
# breaks on all of them): none belongs in a one-line value.
CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES: Final = re.compile(" +")

RSA_MIN_BITS: Final = 2048
RSA_MAX_BITS: Final = 16384
# ECDSA: key type -> (curve name in the blob, bytes of one coordinate)
_ECDSA: Final = {
    "ecdsa-sha2-nistp256": ("nistp256", 32),
    "ecdsa-sha2-nistp384": ("nistp384", 48),
    "ecdsa-sha2-nistp521": ("nistp521", 66),
}
SK_ED25519: Final = "sk-ssh-ed25519@openssh.com"
SK_ECDSA: Final = "sk-ecdsa-sha2-nistp256@openssh.com"
KEY_TYPES: Final = ("ssh-rsa", "ssh-ed25519", *_ECDSA, SK_ED25519, SK_ECDSA)


def normalize_mac(value: str) -> str:
    """``AA-BB-...`` or ``aa:bb:...`` -> ``aa:bb:cc:dd:ee:ff``; ValueError otherwise."""
    if not _MAC.fullmatch(value):
        raise ValueError(f"not a MAC address: {value!r} (want aa:bb:cc:dd:ee:ff)")
    return value.lower().replace("-", ":")


def check_line(value: str) -> str:
    """One line of text: no control characters (newline, CR, tab, NUL...)."""
    found = CONTROL.search(value)
    if found:
        raise ValueError(f"contains a control character ({found.group()!r}); give one line")
    return value


class _Wire:
    """OpenSSH's wire format (RFC 4251): uint32-length-prefixed strings and mpints."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def string(self) -> bytes:
        if self._at + 4 > len(self._data):
            raise ValueError("the key data is truncated")
        size = int.from_bytes(self._data[self._at : self._at + 4], "big")
        start = self._at + 4
        if start + size > len(self._data):
            raise ValueError("the key data is truncated")
        self._at = start + size
        return self._data[start : self._at]

    def mpint(self) -> int:
        raw = self.string()
        if raw[:1] and raw[0] & 0x80:
            raise ValueError("the key data holds a negative number")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self._at != len(self._data):
            raise ValueError("the key data has trailing bytes")


def _check_rsa(wire: _Wire) -> None:
    exponent, modulus = wire.mpint(), wire.mpint()
    bits = modulus.bit_length()
    if bits < RSA_MIN_BITS:
        raise ValueError(f"the RSA key has {bits} bits; at least {RSA_MIN_BITS} are needed")
    if bits > RSA_MAX_BITS:
        raise ValueError(f"the RSA key has {bits} bits; OpenSSH takes at most {RSA_MAX_BITS}")
    if exponent < 3 or exponent % 2 == 0 or modulus % 2 == 0:
        raise ValueError("the RSA key's numbers are not an RSA public key")


def _check_ecdsa(wire: _Wire, key_type: str) -> None:
    curve, size = _ECDSA[key_type]
    if wire.string() != curve.encode():
        raise ValueError(f"the key data names another curve than {curve}")
    point = wire.string()
    if len(point) != 1 + 2 * size or point[0] != 4:
        raise ValueError(f"the key data does not hold a {curve} point")
    from cryptography.hazmat.primitives.asymmetric import ec

    named = {"nistp256": ec.SECP256R1(), "nistp384": ec.SECP384R1(), "nistp521": ec.SECP521R1()}
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(named[curve], point)
    except ValueError:
        raise ValueError(f"the key data's point is not on {curve}") from None


def _check_blob(blob: bytes, key_type: str) -> None:
    wire = _Wire(blob)
    embedded = wire.string()
    if embedded != key_type.encode():
        shown = embedded[:40].decode("ascii", "replace")
        raise ValueError(f"the key data is a {shown!r} key but the line says {key_type}")
    if key_type == "ssh-rsa":
        _check_rsa(wire)
    elif key_type in ("ssh-ed25519", SK_ED25519):
        if len(wire.string()) != 32:
            raise ValueError("an ed25519 key is 32 bytes")
    else:
        _check_ecdsa(wire, "ecdsa-sha2-nistp256" if key_type == SK_ECDSA else key_type)
    if key_type.startswith("sk-"):
        wire.string()  # the FIDO application, "ssh:" by default
    wire.end()


def check_public_key(value: str) -> str:
    """An OpenSSH public key line ``<type> <base64> [comment]``, checked down to the key
    inside; returned without surrounding spaces. ValueError saying what is wrong otherwise."""
    check_line(value)
    parts = _SPACES.split(value.strip(" "), maxsplit=2)  # OpenSSH splits on spaces (and tabs)
    if len(parts) < 2:
        raise ValueError("not an OpenSSH public key (want '<type> <base64> [comment]')")
    key_type, data = parts[0], parts[1]
    if key_type not in KEY_TYPES:
        refused = " (DSA keys are refused by current OpenSSH)" if key_type == "ssh-dss" else ""
        raise ValueError(
            f"key type {key_type[:40]!r} is not accepted{refused}; use one of "
            + ", ".join(KEY_TYPES)
        )
    try:
        blob = base64.b64decode(data, validate=True)
    except binascii.Error:
        raise ValueError("the key data (second word) is not valid base64") from None
    _check_blob(blob, key_type)
    return value.strip(" ")


def key_type(value: str) -> str:
    return value.split(maxsplit=1)[0]
