"""Guest reports: the last report of each kind per instance (``activation`` for now).

Unlike the password, a report is replaced by the next one of its kind. The body is the guest's
JSON, kept as data; readers get it back parsed, with the time the service received it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from wincloud.store.engine import begin_write, translate_errors
from wincloud.store.repo import canonical_uuid
from wincloud.store.tables import instances, reports

log = logging.getLogger(__name__)

REPORT_KINDS = frozenset({"activation"})


class ReportStore:
    """Reports on one engine; ``SqlInstanceRepo`` delegates to it."""

    def __init__(self, engine: Engine, url: str, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._url = url
        self._clock = clock

    def store(
        self, instance_id: str, kind: str, body: dict[str, Any], *, timeout: float | None = None
    ) -> bool:
        """Keep ``body`` as the instance's last ``kind`` report; False if no such instance.
        ``timeout``: seconds to wait at most for other writers (StoreError past it)."""
        if kind not in REPORT_KINDS:
            raise ValueError(f"unknown report kind {kind!r}")
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            return False
        text = json.dumps(body, separators=(",", ":"))
        action = f"store the {kind} report"
        with (
            translate_errors(self._url, action),
            begin_write(self._engine, timeout=timeout) as conn,
        ):
            exists = conn.execute(
                sa.select(instances.c.uuid).where(instances.c.uuid == wanted)
            ).first()
            if exists is None:
                return False
            key = (reports.c.instance_uuid == wanted) & (reports.c.kind == kind)
            conn.execute(sa.delete(reports).where(key))
            conn.execute(
                sa.insert(reports).values(
                    instance_uuid=wanted, kind=kind, body=text, received_at=self._clock()
                )
            )
        log.info("report stored uuid=%s kind=%s bytes=%d", wanted, kind, len(text))
        return True

    def get(self, instance_id: str, kind: str) -> tuple[dict[str, Any], datetime] | None:
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            return None
        query = sa.select(reports.c.body, reports.c.received_at).where(
            (reports.c.instance_uuid == wanted) & (reports.c.kind == kind)
        )
        action = f"read the {kind} report"
        with translate_errors(self._url, action), self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        body: dict[str, Any] = json.loads(row.body)
        return body, row.received_at
