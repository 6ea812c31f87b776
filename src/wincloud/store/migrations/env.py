"""Alembic environment for the wincloud store.

wincloud runs it through ``wincloud.store.migrate`` with a connection that is already inside the
(locked) migration transaction: ``config.attributes["connection"]``. For developers,
``alembic -c src/wincloud/store/migrations/alembic.ini revision --autogenerate -m "..."`` works
against the database named by ``$WINCLOUD_DB``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from wincloud.store.engine import create_store_engine
from wincloud.store.tables import metadata
from wincloud.store.urls import default_db_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = create_store_engine(default_db_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
