"""Public keys and MAC addresses: small value checks shared by the model."""

from __future__ import annotations

import re
from typing import Final

_MAC: Final = re.compile(r"^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$", re.IGNORECASE)
_KEY_TYPES: Final = (
    "ssh-rsa",
    "ssh-ed25519",
    "ssh-dss",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


def normalize_mac(value: str) -> str:
    """``AA-BB-...`` or ``aa:bb:...`` -> ``aa:bb:cc:dd:ee:ff``; ValueError otherwise."""
    if not _MAC.match(value):
        raise ValueError(f"not a MAC address: {value!r} (want aa:bb:cc:dd:ee:ff)")
    return value.lower().replace("-", ":")


def check_public_key(value: str) -> str:
    """An OpenSSH public key line: ``<type> <base64> [comment]``."""
    parts = value.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise ValueError(
            "not an OpenSSH public key (want '<type> <base64> [comment]', type one of "
            + ", ".join(_KEY_TYPES[:3])
            + ", ...)"
        )
    return value.strip()


def key_type(value: str) -> str:
    return value.split(maxsplit=1)[0]
