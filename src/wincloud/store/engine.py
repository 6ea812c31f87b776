"""Engines tuned per backend, and the one place database errors become StoreError.

SQLite: the file's directory is created (private to the user), WAL journal, a busy timeout,
foreign keys on, and write transactions start with ``BEGIN IMMEDIATE`` so concurrent writers
queue on the busy timeout instead of failing on a lock upgrade. Other backends: a pooled engine
that checks a connection before handing it out (survives a server restart); on PostgreSQL also
an autocommit pool for the one-statement reads of the hot path.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from wincloud.errors import StoreError
from wincloud.store.urls import DB_ENV, display_url

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S: Final = 30.0
WRITE: Final = "wincloud_write"  # execution option: this connection's transaction writes
HINT_URL: Final = (
    f"check --db or {DB_ENV} "
    "(e.g. sqlite:///path/metadata.db or postgresql+psycopg://user:password@host/db)"
)
HINT_SERVER: Final = f"is the database server running and reachable? {HINT_URL}"
HINT_SQLITE_FILE: Final = f"check the file's directory and permissions; {HINT_URL}"


def create_store_engine(url: str) -> Engine:
    """An Engine for ``url``; StoreError (password hidden) when the URL cannot be used."""
    shown = display_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError("not a database URL", subject=shown, hint=HINT_URL) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, shown)
        return sa.create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise StoreError(
            f"unknown database kind {parsed.drivername!r}", subject=shown, hint=HINT_URL
        ) from None
    except ImportError as exc:
        raise StoreError(
            f"the driver for {parsed.drivername} is not installed (no module {exc.name!r})",
            subject=shown,
            hint="install it (PostgreSQL: pip install 'wincloud[postgres]' and use "
            "postgresql+psycopg://)",
        ) from None


def create_read_engine(write_engine: Engine) -> Engine:
    """The engine for single-statement reads (the metadata service's hot path).

    PostgreSQL: a separate pool in autocommit mode, so a lookup is one round trip (no
    BEGIN/ROLLBACK around it, no pre-ping; readers retry once on a dropped connection instead).
    SQLite (in-process, cheap) and other backends: the write engine itself.
    """
    if write_engine.dialect.name != "postgresql":
        return write_engine
    return sa.create_engine(write_engine.url, isolation_level="AUTOCOMMIT")


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _sqlite_engine(url: URL, shown: str) -> Engine:
    memory = _is_memory(url)
    if not memory and url.query.get("uri") is None and url.database:
        _prepare_sqlite_file(Path(url.database), shown)
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    }
    if memory:
        # One private in-memory database shared by every checkout: tests and demos only,
        # the connection is not meant for concurrent writers.
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE) else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL (persistent, so usually a no-op). SQLite answers "database is
    locked" at once, without the busy handler, when first connections race to switch it; so
    retry until the busy timeout."""
    import sqlite3

    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                return
            if cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked (cannot switch to WAL)")
        time.sleep(0.01)


def _prepare_sqlite_file(path: Path, shown: str) -> None:
    """Create the directory (mode 0700) and an empty database file (mode 0600): records hold
    admin passwords and user data."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"cannot create the SQLite database file ({exc.strerror or exc.__class__.__name__})",
            subject=shown,
            hint=f"choose a writable location with --db or {DB_ENV}",
        ) from None


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back (nothing written) on error."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


def describe_db_error(exc: SQLAlchemyError) -> str:
    """A short reason that never carries statement parameters (records, passwords).

    Connection failures and operational errors (locks, disk, lost connection) keep the
    driver's first line; other errors show only the error's class name.
    """
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        kind = exc.orig.__class__.__name__
        if exc.statement is None or isinstance(exc, sa.exc.OperationalError):
            first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else ""
            return f"{kind}: {first[:200]}" if first else kind
        return kind
    return exc.__class__.__name__


@contextmanager
def translate_errors(url: str, action: str) -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into StoreError naming ``action`` and the (hidden) URL."""
    try:
        yield
    except SQLAlchemyError as exc:
        reason = describe_db_error(exc)
        log.debug("store error action=%s url=%s reason=%s", action, display_url(url), reason)
        connecting = isinstance(exc, DBAPIError) and exc.statement is None
        if not connecting:
            hint = "check the database's health and free space"
        elif url.startswith("sqlite"):
            hint = HINT_SQLITE_FILE
        else:
            hint = HINT_SERVER
        # "from None": the chained SQLAlchemy error prints statement parameters (records,
        # passwords); the reason above is all that may leave this function.
        raise StoreError(
            f"cannot {action} ({reason})", subject=display_url(url), hint=hint
        ) from None
