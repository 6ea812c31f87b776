"""Schema migrations, run in code: no alembic.ini or alembic command needed by users.

``upgrade_to_head`` is safe when several processes start at once on the same database: it
reads the schema version without a lock and returns at once when it is current; otherwise it
takes a write lock (PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE)
and lets Alembic upgrade inside that one transaction, so a second process waits and then finds
nothing to do. On backends with transactional DDL a failed migration leaves nothing behind.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from wincloud.errors import StoreError
from wincloud.store.engine import begin_write, translate_errors
from wincloud.store.urls import display_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key: the bytes of "wincloud" as a signed 64-bit integer.
PG_LOCK_KEY: Final = int.from_bytes(b"wincloud", "big", signed=True)
# Alembic's `context` and `op` are process-global proxies: one migration at a time per process.
_ALEMBIC: Final = threading.Lock()


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> frozenset[str]:
    return frozenset(_script().get_heads())


def _known_revisions() -> frozenset[str]:
    return frozenset(rev.revision for rev in _script().walk_revisions())


def current_revisions(conn: Connection) -> frozenset[str]:
    """The schema revision(s) recorded in the database; empty for a database without one."""
    return frozenset(MigrationContext.configure(conn).get_current_heads())


def read_current(engine: Engine, url: str) -> frozenset[str]:
    """The schema revision(s) of the database behind ``engine`` (StoreError on failure)."""
    with translate_errors(url, "read the schema version"), engine.connect() as conn:
        return current_revisions(conn)


def known_revisions() -> frozenset[str]:
    """Every revision this wincloud ships (a database at another one is newer than it)."""
    return _known_revisions()


def _check_known(current: frozenset[str], url: str) -> None:
    unknown = sorted(current - _known_revisions())
    if unknown:
        raise StoreError(
            f"the database schema is at revision {', '.join(unknown)}, which this version of "
            "wincloud does not know",
            subject=display_url(url),
            hint="upgrade wincloud, or point --db / WINCLOUD_DB at another database",
        )


def upgrade_to_head(engine: Engine, url: str) -> bool:
    """Bring the schema to the newest revision; True when something was migrated."""
    current = read_current(engine, url)
    _check_known(current, url)
    if current == head_revisions():
        return False
    cfg = alembic_config()
    with translate_errors(url, "migrate the database schema"), begin_write(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})
        before = current_revisions(conn)
        _check_known(before, url)
        if before == head_revisions():
            return False
        cfg.attributes["connection"] = conn
        try:
            with _ALEMBIC:
                command.upgrade(cfg, "head")
        except CommandError as exc:
            raise StoreError(
                f"cannot migrate the database schema ({exc})", subject=display_url(url)
            ) from None
    log.info(
        "store schema migrated url=%s from=%s to=%s",
        display_url(url),
        ",".join(sorted(before)) or "empty",
        ",".join(sorted(head_revisions())),
    )
    return True


def check_at_head(engine: Engine, url: str) -> None:
    """StoreError unless the schema is current (for ``open_repo(..., migrate=False)``)."""
    current = read_current(engine, url)
    _check_known(current, url)
    if current != head_revisions():
        found = ", ".join(sorted(current)) or "no wincloud schema"
        raise StoreError(
            f"the database schema is not current ({found}; this wincloud needs "
            f"{', '.join(sorted(head_revisions()))})",
            subject=display_url(url),
            hint=f"upgrade it: wincloud db upgrade --db {display_url(url)}",
        )
