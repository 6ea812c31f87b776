"""Bounded retries with exponential back-off, for SourceUnavailable only."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from msgspec import Struct

from wincloud.errors import SourceUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


class Backoff(Struct, frozen=True):
    attempts: int = 3
    """Tries in all (1: no retry)."""
    delay: float = 1.0
    """Seconds before the first retry; doubled each time."""
    max_delay: float = 10.0

    def delays(self) -> list[float]:
        """The pauses between attempts (``attempts - 1`` of them)."""
        return [min(self.delay * 2**n, self.max_delay) for n in range(max(self.attempts - 1, 0))]


def retry(
    action: Callable[[], T],
    backoff: Backoff,
    *,
    sleep: Callable[[float], None],
    what: str,
) -> T:
    """Run ``action``; on SourceUnavailable wait and try again, at most ``backoff.attempts``
    times in all; the last SourceUnavailable propagates. Other errors propagate at once."""
    pauses = backoff.delays()
    for attempt in range(1, backoff.attempts + 1):
        try:
            return action()
        except SourceUnavailable as exc:
            if attempt > len(pauses):
                raise
            pause = pauses[attempt - 1]
            log.info(
                "retrying what=%s attempt=%d of=%d wait_s=%.1f reason=%s",
                what,
                attempt,
                backoff.attempts,
                pause,
                exc,
            )
            sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover
