"""Lookups on the metadata service's hot path, straight on a pooled DBAPI connection.

Every metadata request looks up its caller's (uuid, revision). Through SQLAlchemy's
``Connection`` that costs a transaction begin/rollback and the Core execution machinery, over
half of the service's CPU time per request. Here the statement is compiled once for the
dialect and run on a raw pooled connection in autocommit mode (SQLite's connections run with
``isolation_level=None``; PostgreSQL's read engine is AUTOCOMMIT), so a lookup is one cursor
execute. A connection that died (database restart) is invalidated, with every other pooled
connection (they died with it), and the read tried once more on a fresh one. Every failure,
connecting included, is a StoreError.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select

from wincloud.errors import StoreError
from wincloud.store.engine import HINT_SERVER, HINT_SQLITE_FILE, describe_db_error
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
        rows = self._run(params, many=False)
        return rows[0] if rows else None

    def all(self, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement selects."""
        return self._run(params, many=True)

    def _run(self, params: Mapping[str, Any], *, many: bool) -> list[tuple[Any, ...]]:
        args: Any = [params[name] for name in self._order] if self._order is not None else params
        for attempt in (1, 2):
            try:
                conn = self._engine.raw_connection()
            except SQLAlchemyError as exc:
                raise self._failed(describe_db_error(exc), connecting=True) from None
            except self._errors as exc:  # the pool does not wrap the driver's connect errors
                raise self._failed(_first_line(exc), connecting=True) from None
            cursor = None
            try:
                cursor = conn.cursor()
                cursor.execute(self._sql, args)
                if many:
                    rows = [tuple(row) for row in cursor.fetchall()]
                else:
                    one = cursor.fetchone()
                    rows = [tuple(one)] if one is not None else []
                cursor.close()
            except self._errors as exc:
                dialect, dbapi = self._engine.dialect, conn.dbapi_connection
                lost = dialect.is_disconnect(exc, dbapi, cursor)  # type: ignore[arg-type]
                conn.invalidate(exc)
                if lost:
                    # A restart killed every pooled connection: start a new pool rather than
                    # meet the dead ones one request at a time.
                    self._engine.dispose()
                if attempt == 2:
                    raise self._failed(_first_line(exc), connecting=False) from None
                continue
            finally:
                conn.close()
            return rows
        return []  # pragma: no cover - the loop returns or raises

    def _failed(self, reason: str, *, connecting: bool) -> StoreError:
        log.debug("store read failed action=%s reason=%s", self._action, reason)
        if not connecting:
            hint = "check the database's health"
        elif self._engine.dialect.name == "sqlite":
            hint = HINT_SQLITE_FILE
        else:
            hint = HINT_SERVER
        return StoreError(
            f"cannot {self._action} ({reason})", subject=display_url(self._url), hint=hint
        )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return type(exc).__name__ + (f": {text.splitlines()[0][:200]}" if text else "")
