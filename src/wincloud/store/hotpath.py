"""Single-row lookups on the metadata service's hot path, straight on a pooled DBAPI connection.

Every metadata request looks up its caller's (uuid, revision). Through SQLAlchemy's
``Connection`` that costs a transaction begin/rollback and the Core execution machinery, over
half of the service's CPU time per request. Here the statement is compiled once for the
dialect and run on a raw pooled connection in autocommit mode (SQLite's connections run with
``isolation_level=None``; PostgreSQL's read engine is AUTOCOMMIT), so a lookup is one cursor
execute. A connection that died (database restart) is invalidated and the read tried once more.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.sql import Select

from wincloud.errors import StoreError
from wincloud.store.engine import HINT_SERVER
from wincloud.store.urls import display_url

log = logging.getLogger(__name__)


class CompiledRead:
    """One SELECT compiled for an engine's dialect; ``first(params)`` returns a row tuple."""

    def __init__(self, engine: Engine, statement: Select[Any], url: str, action: str) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self._engine = engine
        self._sql = str(compiled)
        self._order = list(compiled.positiontup or []) if engine.dialect.positional else None
        self._url = url
        self._action = action
        self._errors: type[Exception] = engine.dialect.loaded_dbapi.Error

    def first(self, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        args: Any = [params[name] for name in self._order] if self._order is not None else params
        for attempt in (1, 2):
            conn = self._engine.raw_connection()
            try:
                cursor = conn.cursor()
                cursor.execute(self._sql, args)
                row = cursor.fetchone()
                cursor.close()
            except self._errors as exc:
                conn.invalidate(exc)
                if attempt == 2:
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                    log.debug("store read failed action=%s reason=%s", self._action, reason)
                    raise StoreError(
                        f"cannot {self._action} ({reason})",
                        subject=display_url(self._url),
                        hint=HINT_SERVER,
                    ) from None
                continue
            finally:
                conn.close()
            return tuple(row) if row is not None else None
        return None  # pragma: no cover - the loop returns or raises
