"""Schema migrations: run on open, idempotent, concurrent-start safe, and equal to tables.py."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from wincloud.errors import StoreError
from wincloud.store import open_repo
from wincloud.store.engine import begin_write, create_store_engine
from wincloud.store.migrate import alembic_config, head_revisions, upgrade_to_head
from wincloud.store.tables import metadata


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _versions(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def test_open_creates_the_schema_on_an_empty_database(db_url):
    assert _tables(db_url) == set()
    open_repo(db_url).close()
    assert {"instances", "addresses", "passwords", "alembic_version"} <= _tables(db_url)
    assert _versions(db_url) == set(head_revisions())


def test_second_open_changes_nothing_and_keeps_data(db_url, make_instance):
    with open_repo(db_url, create=True) as repo:
        inst = repo.add(make_instance()).instance
    engine = create_store_engine(db_url)
    try:
        assert upgrade_to_head(engine, db_url) is False
    finally:
        engine.dispose()
    with open_repo(db_url) as repo:
        got = repo.get(inst.uuid)
    assert got is not None
    assert got.instance == inst


def test_migrations_create_exactly_the_tables_module_schema(db_url):
    open_repo(db_url, create=True).close()
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_migrations_downgrade_to_empty_and_up_again(db_url):
    open_repo(db_url, create=True).close()
    engine = create_store_engine(db_url)
    try:
        with begin_write(engine) as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert _tables(db_url) <= {"alembic_version"}
        assert upgrade_to_head(engine, db_url) is True
    finally:
        engine.dispose()
    assert {"instances", "addresses", "passwords"} <= _tables(db_url)


def test_concurrent_first_opens_all_succeed(db_url):
    create_store_engine(db_url, create=True).dispose()  # the empty file, for SQLite
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def opener() -> None:
        start.wait()
        try:
            open_repo(db_url).close()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _versions(db_url) == set(head_revisions())


def test_open_without_migration_refuses_an_empty_database(db_url):
    create_store_engine(db_url, create=True).dispose()  # the empty file, for SQLite
    with pytest.raises(StoreError, match="schema is not current") as err:
        open_repo(db_url, migrate=False)
    assert "wincloud db upgrade --db" in (err.value.hint or "")
    open_repo(db_url).close()
    open_repo(db_url, migrate=False).close()


def test_database_from_a_newer_wincloud_is_refused(db_url):
    open_repo(db_url, create=True).close()
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="9999_future") as err:
        open_repo(db_url)
    assert "upgrade wincloud" in (err.value.hint or "")
