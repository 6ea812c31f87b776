"""A fresh PostgreSQL database per test, dropped afterwards."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextmanager
def fresh_database(base_url: str) -> Iterator[str]:
    name = "wct_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            _drop(admin, name)
        finally:
            admin.dispose()


def _drop(admin: sa.Engine, name: str, tries: int = 10) -> None:
    """End our own sessions in ``name``, then drop it. Not DROP ... WITH (FORCE): it fails
    when an autovacuum worker (another role) is in the database; a plain DROP waits up to 5 s
    for that one to leave. A client of the test that reconnects after being ended (a
    listener, a pool closing in a thread) can slip in before the DROP: then end and drop
    again, a bounded number of times."""
    for attempt in range(tries):
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            try:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                return
            except sa.exc.OperationalError as exc:
                if "being accessed by other users" not in str(exc) or attempt == tries - 1:
                    raise
        time.sleep(0.2)
