"""Instance lifecycle history: read side of the append-only ``instance_history`` table.

The rows are written by triggers (migration 0004) in the transaction of each change, so the
history cannot miss a write or disagree with the instances table, whoever wrote. Nothing in
wincloud updates or deletes a row, and the database refuses it. Events:

created    the instance was added (at the store's created_at)
moved      its record's ``host`` changed (the row holds the new values)
updated    its project, flavor (``instance_type``), ``vcpus``, ``image_id`` or ``meta.os_type``
deleted    it was removed (at the database's clock; the row holds its last values)
activation the guest reported its Windows activation (edition, build, key_source, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wincloud.store.engine import translate_errors
from wincloud.store.repo import canonical_uuid
from wincloud.store.tables import instance_history

EVENTS: Final = ("created", "moved", "updated", "deleted", "activation")


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    seq: int
    instance_uuid: str
    event: str
    at: datetime
    project_id: str | None = None
    host: str | None = None
    flavor: str | None = None
    vcpus: int | None = None
    image_id: str | None = None
    os_type: str | None = None
    edition: str | None = None
    build: int | None = None
    key_source: str | None = None
    activation: str | None = None
    license_status: str | None = None

    def to_document(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "seq": self.seq,
            "instance_uuid": self.instance_uuid,
            "event": self.event,
            "at": self.at.isoformat(),
        }
        keys: tuple[str, ...]
        if self.event == "activation":
            keys = ("edition", "build", "key_source", "activation", "license_status")
        else:
            keys = ("project_id", "host", "flavor", "vcpus", "image_id", "os_type")
        doc.update({key: getattr(self, key) for key in keys})
        return doc


_COLUMNS: Final = [instance_history.c[name] for name in HistoryEvent.__dataclass_fields__]
_ORDER: Final = (instance_history.c.instance_uuid, instance_history.c.seq)


class HistoryStore:
    """The history on one engine; ``SqlInstanceRepo.history`` is one."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._url = url

    def for_instance(self, instance_id: str) -> list[HistoryEvent]:
        """Every event of one instance uuid, oldest first (empty for an unknown uuid)."""
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            return []
        query = (
            sa.select(*_COLUMNS)
            .where(instance_history.c.instance_uuid == wanted)
            .order_by(instance_history.c.seq)
        )
        return self._fetch(query, "read an instance's history")

    def until(self, end: datetime) -> list[HistoryEvent]:
        """Every event before ``end``, grouped by instance, each instance's oldest first
        (everything a report for a period ending at ``end`` needs)."""
        query = sa.select(*_COLUMNS).where(instance_history.c.at < end).order_by(*_ORDER)
        return self._fetch(query, "read the instance history")

    def around(self, start: datetime, end: datetime) -> list[HistoryEvent]:
        """What a report on [start, end) needs, grouped by instance in store order: every
        event in the period, and from before it only each instance's last lifecycle event
        (unless that was ``deleted``) and its last activation report. The cost follows the
        population and the period's activity, not the age of the history."""
        h = instance_history
        kind = sa.case((h.c.event == "activation", 1), else_=0)
        rank = sa.func.row_number().over(
            partition_by=(h.c.instance_uuid, kind), order_by=h.c.seq.desc()
        )
        ranked = sa.select(*_COLUMNS, rank.label("rank")).where(h.c.at < start).subquery()
        before = sa.select(*(ranked.c[c.name] for c in _COLUMNS)).where(
            ranked.c.rank == 1, ranked.c.event != "deleted"
        )
        during = sa.select(*_COLUMNS).where(h.c.at >= start, h.c.at < end)
        events = self._fetch(before, "read the instance history") + self._fetch(
            during, "read the instance history"
        )
        events.sort(key=lambda e: (e.instance_uuid, e.seq))
        return events

    def _fetch(self, query: sa.Select[Any], action: str) -> list[HistoryEvent]:
        with translate_errors(self._url, action), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [HistoryEvent(*row) for row in rows]
