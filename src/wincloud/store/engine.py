"""Engines tuned per backend, and the one place database errors become StoreError.

SQLite: the file must exist unless the caller asks to create it (then its directory is created,
private to the user); connections never create it (``mode=rw``), the file's identity is checked
before and after every write (``sqlitefile``); WAL journal, a busy timeout, foreign keys on,
and write transactions start with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy
timeout instead of failing on a lock upgrade. Other backends: a pooled engine that checks a
connection before handing it out (survives a server restart) and gives up connecting after
``CONNECT_TIMEOUT_S``; on PostgreSQL also an autocommit pool for the one-statement reads of the
hot path.
"""

from __future__ import annotations

import logging
import time
import weakref
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
from wincloud.store.sqlitefile import SqliteFile, create_database_file
from wincloud.store.urls import DB_ENV, display_url

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S: Final = 30.0
CONNECT_TIMEOUT_S: Final = 3  # PostgreSQL (libpq's minimum is 2)
WRITE: Final = "wincloud_write"  # execution option: this connection's transaction writes
HINT_URL: Final = (
    f"check --db or {DB_ENV} "
    "(e.g. sqlite:////var/lib/wincloud/metadata.db, four slashes for an absolute path, or "
    "postgresql+psycopg://user:password@host/db)"
)
HINT_SERVER: Final = f"is the database server running and reachable? {HINT_URL}"
HINT_SQLITE_FILE: Final = f"check the file's directory and permissions; {HINT_URL}"


# The SQLite file each engine opened (engines of other backends have none).
_FILES: Final[weakref.WeakKeyDictionary[Engine, SqliteFile]] = weakref.WeakKeyDictionary()


def sqlite_file(engine: Engine) -> SqliteFile | None:
    """The watched SQLite file behind ``engine``, if it is a file-backed SQLite engine."""
    return _FILES.get(engine)


def create_store_engine(url: str, *, create: bool = False) -> Engine:
    """An Engine for ``url``; StoreError (password hidden) when the URL cannot be used.

    A SQLite file (and its directory) is created only with ``create``; otherwise a missing
    file is a StoreError with a hint to create it.
    """
    shown = display_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError("not a database URL", subject=shown, hint=HINT_URL) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, shown, create=create)
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=_connect_args(parsed))
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
    url = write_engine.url
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args=_connect_args(url))


def _connect_args(url: URL) -> dict[str, Any]:
    """PostgreSQL: give up connecting after CONNECT_TIMEOUT_S unless the URL says otherwise,
    so an unreachable server costs seconds, not the operating system's TCP timeout."""
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


def _is_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def _sqlite_engine(url: URL, shown: str, *, create: bool) -> Engine:
    memory = _is_memory(url)
    file: SqliteFile | None = None
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
    }
    if not memory and url.query.get("uri") is None and url.database:
        path = Path(url.database).absolute()
        if create:
            create_database_file(path, shown)
        file = SqliteFile.at(path, shown)
        watched = file
        kwargs = {"creator": lambda: watched.connect(BUSY_TIMEOUT_S)}
    if memory:
        # One private in-memory database shared by every checkout: tests and demos only,
        # the connection is not meant for concurrent writers.
        kwargs["poolclass"] = StaticPool
    engine = sa.create_engine(url, **kwargs)
    if file is not None:
        _FILES[engine] = file

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


@contextmanager
def begin_write(engine: Engine, *, timeout: float | None = None) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back (nothing written) on error.

    A SQLite file is checked before (still the file opened, writable) and after the commit
    (not deleted or replaced meanwhile): StoreError rather than a write that is lost.
    ``timeout`` bounds the wait for locks held by other writers (SQLite: the busy timeout of
    this connection; PostgreSQL: lock_timeout and statement_timeout of this transaction);
    past it the transaction fails (a StoreError once translated) and nothing is written.
    """
    file = _FILES.get(engine)
    if file is not None:
        file.check_writable()
    started = time.monotonic()
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        # What is left of ``timeout`` once a connection is in hand (at least 1 ms: a lock
        # that is free is still taken, a held one is given up on at once).
        left = None if timeout is None else max(0.001, timeout - (time.monotonic() - started))
        sqlite_wait = left is not None and conn.dialect.name == "sqlite"
        if sqlite_wait:
            _set_busy_timeout(conn, left or 0.001)
        try:
            with conn.begin():
                if left is not None and conn.dialect.name == "postgresql":
                    ms = int(left * 1000)
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {ms}")
                    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")
                yield conn
        finally:
            if sqlite_wait and not conn.invalidated:
                try:
                    _set_busy_timeout(conn, BUSY_TIMEOUT_S)
                except DBAPIError as exc:  # a broken handle: drop it rather than reuse it
                    conn.invalidate(exc)
    if file is not None:
        file.check_kept()


def _set_busy_timeout(conn: Connection, seconds: float) -> None:
    """Set the busy timeout of the connection's SQLite handle (outside any transaction)."""
    import sqlite3

    driver = conn.connection.driver_connection
    if driver is None:
        return
    statement = f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}"
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:  # as SQLAlchemy would wrap it, so translate_errors maps it
        raise sa.exc.OperationalError(statement, None, exc) from exc


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
