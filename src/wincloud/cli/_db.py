"""The ``--db URL`` option shared by every command that uses the instance store.

Usage::

    @click.command()
    @db_option
    def serve(db: str | None) -> None:
        with open_repo_from(db) as repo:
            ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from wincloud.store import SqlInstanceRepo

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = (
    "Store URL (any SQLAlchemy URL), e.g. sqlite:////var/lib/wincloud/metadata.db (four "
    "slashes: absolute; sqlite:///metadata.db is relative to the working directory) or "
    "postgresql+psycopg://user:password@host/db. "
    "Default: metadata.db in the per-user data directory (see docs/store.md)."
)


def db_option(func: F) -> F:
    """Add ``--db URL`` (env ``WINCLOUD_DB``); the command receives it as ``db: str | None``."""
    option = click.option(
        "--db",
        "db",
        metavar="URL",
        envvar="WINCLOUD_DB",
        show_envvar=True,
        default=None,
        help=DB_HELP,
    )
    return option(func)


def open_repo_from(
    db: str | None, *, create: bool = False, migrate: bool = True
) -> SqlInstanceRepo:
    """Open the store named by ``--db`` (None: ``default_db_url()``), migrating it to the
    current schema. A SQLite file that does not exist is a StoreError with a hint, unless
    ``create`` (only commands that add data or initialise a store pass it). Use it as a
    context manager so the connections are closed."""
    from wincloud.store import default_db_url, open_repo

    return open_repo(db or default_db_url(), create=create, migrate=migrate)
