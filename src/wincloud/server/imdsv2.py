"""IMDSv2 session tokens: stateless, HMAC-signed, bound to one instance and an expiry.

A token is ``<expiry>.<instance uuid>.<signature>`` in URL-safe base64, so any worker holding
the key can check it, and nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

TOKEN_HEADER = "x-aws-ec2-metadata-token"  # noqa: S105 - a header name
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"


class TokenSigner:
    def __init__(self, key: bytes | None = None, *, clock: Callable[[], float] = time.time):
        self._key = key or secrets.token_bytes(32)
        self._clock = clock

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def issue(self, instance_uuid: str, ttl: int) -> str:
        expiry = int(self._clock()) + ttl
        body = f"{expiry}.{instance_uuid}".encode()
        return base64.urlsafe_b64encode(body + b"." + self._sign(body)).decode()

    def is_valid(self, token: str, instance_uuid: str) -> bool:
        """True only for an unexpired token issued to ``instance_uuid`` with this key."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return False
        if len(raw) < 34 or raw[-33:-32] != b".":
            return False
        body, signature = raw[:-33], raw[-32:]
        if not hmac.compare_digest(self._sign(body), signature):
            return False
        expiry_text, _, owner = body.decode("ascii", "replace").partition(".")
        try:
            expiry = int(expiry_text)
        except ValueError:
            return False
        return owner == instance_uuid and self._clock() < expiry


def parse_ttl(value: str | None, maximum: int) -> int | None:
    """The TTL header as seconds, or None when missing or outside 1..maximum."""
    if value is None:
        return None
    try:
        ttl = int(value.strip())
    except ValueError:
        return None
    return ttl if 1 <= ttl <= maximum else None
