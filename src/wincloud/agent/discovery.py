"""Finding the metadata: the configured sources in order, each probed and loaded with bounded
retries; the first that answers wins. Every attempt is logged with its reason."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from msgspec import Struct

from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.retry import Backoff, retry
from wincloud.agent.sources import Source
from wincloud.errors import InvalidMetadata, MetadataNotFound, SourceError, SourceUnavailable

log = logging.getLogger(__name__)


class Attempt(Struct, frozen=True):
    source: str
    where: str
    result: str
    """selected, absent, unavailable or invalid."""
    reason: str
    duration_ms: int


class Discovery(Struct, frozen=True):
    source: Source
    metadata: InstanceMetadata
    attempts: list[Attempt]


def discover(
    names: Sequence[str],
    make: Callable[[str], Source],
    backoff: Backoff,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float] = time.monotonic,
) -> Discovery:
    """MetadataNotFound (with every attempt) when no source answers.

    A source that fails in any way, including an exception no layer translated (a bug in a
    parser, a library choking on damaged media), costs that source only: it is logged as one
    ``result=failed`` line naming the exception, and the next source is tried."""
    attempts: list[Attempt] = []
    began = clock()

    def note(source: Source, result: str, reason: str, start: float) -> None:
        attempt = Attempt(source.name, source.where, result, reason, int((clock() - start) * 1000))
        attempts.append(attempt)
        level = logging.INFO if result in {"selected", "absent"} else logging.WARNING
        log.log(
            level,
            "source attempt name=%s where=%s result=%s duration_ms=%d reason=%s",
            attempt.source,
            attempt.where,
            attempt.result,
            attempt.duration_ms,
            attempt.reason,
        )

    for name in names:
        source = make(name)
        start = clock()
        try:
            if not retry(source.probe, backoff, sleep=sleep, what=f"{name} probe"):
                note(source, "absent", "not found", start)
                continue
            metadata = retry(source.load, backoff, sleep=sleep, what=f"{name} load")
        except SourceUnavailable as exc:
            note(source, "unavailable", str(exc), start)
            continue
        except InvalidMetadata as exc:
            note(source, "invalid", str(exc), start)
            continue
        except SourceError as exc:
            note(source, "failed", str(exc), start)
            continue
        except Exception as exc:
            note(source, "failed", _unexpected(exc), start)
            continue
        note(source, "selected", f"instance {metadata.instance_id}", start)
        log.info(
            "source selected name=%s where=%s instance_id=%s after_ms=%d",
            source.name,
            source.where,
            metadata.instance_id,
            int((clock() - began) * 1000),
        )
        return Discovery(source, metadata, attempts)
    raise MetadataNotFound(
        "no metadata source answered",
        attempts=[(a.source, f"{a.result}: {a.reason}") for a in attempts],
        subject=", ".join(names),
        hint="see the log for each source's reason; check the sources list in the agent config",
    )


def _unexpected(exc: BaseException) -> str:
    """One short line for an exception nobody translated (no traceback, no newline)."""
    text = " ".join(str(exc).split())[:200]
    return f"unexpected {exc.__class__.__name__}" + (f" ({text})" if text else "")
