"""From the history's events to each instance's lives: where it ran, as what, from when to when.

Pure: the events come in (``HistoryStore.until``), segments come out. An instance's events are
taken in the order the store recorded them (``seq``): ``created`` opens a segment, ``moved``
and ``updated`` close it and open the next one with the new values, ``deleted`` closes it. A
re-created instance (same uuid) simply opens a new segment. ``activation`` events set what the
guest last reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from wincloud.store.history import HistoryEvent


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of an instance's life with unchanged placement and size; ``end`` None: still
    running when the history ends."""

    start: datetime
    end: datetime | None
    project_id: str
    host: str | None
    flavor: str | None
    vcpus: int | None
    image_id: str | None
    os_type: str | None

    def clipped(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        """This segment's part of [start, end), or None when they do not overlap."""
        lo = max(self.start, start)
        hi = end if self.end is None else min(self.end, end)
        return (lo, hi) if hi > lo else None


@dataclass
class Life:
    """One instance uuid: its segments in order and the last activation report seen."""

    uuid: str
    segments: list[Segment] = field(default_factory=list)
    activation: HistoryEvent | None = None


def _segment(event: HistoryEvent) -> Segment:
    return Segment(
        start=event.at,
        end=None,
        project_id=event.project_id or "",
        host=event.host,
        flavor=event.flavor,
        vcpus=event.vcpus,
        image_id=event.image_id,
        os_type=event.os_type,
    )


def _close(segments: list[Segment], at: datetime) -> None:
    last = segments[-1] if segments else None
    if last is not None and last.end is None:
        # a clock that went backwards between writers never makes a negative stretch
        segments[-1] = Segment(
            last.start,
            max(at, last.start),
            last.project_id,
            last.host,
            last.flavor,
            last.vcpus,
            last.image_id,
            last.os_type,
        )


def _group(events: Iterable[HistoryEvent]) -> Iterator[list[HistoryEvent]]:
    batch: list[HistoryEvent] = []
    for event in events:
        if batch and event.instance_uuid != batch[0].instance_uuid:
            yield batch
            batch = []
        batch.append(event)
    if batch:
        yield batch


def build_lives(events: Iterable[HistoryEvent]) -> list[Life]:
    """Lives from events grouped by instance, each instance's in store order (as
    ``HistoryStore.until`` returns them)."""
    lives = []
    for batch in _group(events):
        life = Life(batch[0].instance_uuid)
        for event in sorted(batch, key=lambda e: e.seq):
            if event.event == "activation":
                life.activation = event
            elif event.event == "deleted":
                _close(life.segments, event.at)
            else:  # created, moved, updated
                _close(life.segments, event.at)
                life.segments.append(_segment(event))
        lives.append(life)
    return lives


def concurrency(stretches: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, int]]:
    """How many stretches overlap, as a step function: (instant, count from then on) at each
    instant the count changes, in time order. All changes at one instant are applied
    together, so one ending when another starts (a move) is not an overlap."""
    change: dict[datetime, int] = defaultdict(int)
    for lo, hi in stretches:
        change[lo] += 1
        change[hi] -= 1
    steps = []
    running = 0
    for at in sorted(change):
        if change[at]:
            running += change[at]
            steps.append((at, running))
    return steps


def peak(stretches: Iterable[tuple[datetime, datetime]]) -> int:
    """The most stretches overlapping at any instant (the top of ``concurrency``)."""
    return max((count for _, count in concurrency(stretches)), default=0)
