"""IMDSv2 session tokens: stateless, HMAC-signed, bound to one instance and an expiry.

A token is ``<expiry>.<instance uuid>.<signature>`` in URL-safe base64, so any worker holding
the key can check it, and nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable

TOKEN_HEADER = "x-aws-ec2-metadata-token"  # noqa: S105 - a header name
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"


_MEMO_SIZE = 65536


class TokenSigner:
    def __init__(self, key: bytes | None = None, *, clock: Callable[[], float] = time.time):
        self._key = key or secrets.token_bytes(32)
        self._clock = clock
        # Tokens that verified: token -> (owner, expiry), so a guest's repeated requests cost
        # one dict lookup instead of an HMAC. Bounded: emptied when full.
        self._verified: dict[str, tuple[str, int]] = {}

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def issue(self, instance_uuid: str, ttl: int) -> str:
        # Rounded up to the second: a token lives at least ttl seconds (rounding down cut a
        # 1 s token to a fraction of it, even to nothing).
        expiry = math.ceil(self._clock() + ttl)
        body = f"{expiry}.{instance_uuid}".encode()
        return base64.urlsafe_b64encode(body + b"." + self._sign(body)).decode()

    def is_valid(self, token: str, instance_uuid: str) -> bool:
        """True only for an unexpired token issued to ``instance_uuid`` with this key."""
        known = self._verified.get(token)
        if known is not None:
            return known[0] == instance_uuid and self._clock() < known[1]
        owner_expiry = self._verify(token)
        if owner_expiry is None:
            return False
        if len(self._verified) >= _MEMO_SIZE:
            self._verified.clear()
        self._verified[token] = owner_expiry
        return owner_expiry[0] == instance_uuid and self._clock() < owner_expiry[1]

    def _verify(self, token: str) -> tuple[str, int] | None:
        """(owner, expiry) of a token this key signed, or None."""
        if len(token) > 256:
            return None
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return None
        if len(raw) < 34 or raw[-33:-32] != b"." or base64.urlsafe_b64encode(raw) != token.encode():
            # Only the exact text issue() made: the lenient decoder skips characters outside
            # the alphabet and anything after the padding, so "<token>!!" or "<token>AAAA"
            # decoded to the same bytes and passed.
            return None
        body, signature = raw[:-33], raw[-32:]
        if not hmac.compare_digest(self._sign(body), signature):
            return None
        expiry_text, _, owner = body.decode("ascii", "replace").partition(".")
        if not (expiry_text.isascii() and expiry_text.isdigit()):
            return None
        return owner, int(expiry_text)


def parse_ttl(value: str | None, maximum: int) -> int | None:
    """The TTL header as seconds, or None when missing, not plain ASCII digits (``+5``,
    ``1_0`` and non-ASCII digits are refused, though ``int()`` takes them) or outside
    1..maximum."""
    if value is None or not (0 < len(value) <= 6 and value.isascii() and value.isdigit()):
        return None
    ttl = int(value)
    return ttl if 1 <= ttl <= maximum else None
