"""Database outages: every call is a StoreError (never a driver exception), health() says what
is wrong, and the next call after the database is back succeeds without a restart."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.pg import fresh_database
from tests.unit.store.tcpproxy import TcpProxy
from wincloud.errors import StoreError
from wincloud.store import SqlInstanceRepo, open_repo

UNKNOWN = "8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012"


@pytest.fixture
def pg_url() -> Iterator[str]:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("WINCLOUD_TEST_PG_URL is not set in CI")
        pytest.skip("PostgreSQL not configured: set WINCLOUD_TEST_PG_URL")
    with fresh_database(PG_URL) as url:
        yield url


@pytest.fixture
def through_proxy(pg_url: str) -> Iterator[tuple[str, TcpProxy]]:
    """The test database's URL through a proxy the test can cut (an outage)."""
    parsed = make_url(pg_url)
    with TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432)) as proxy:
        url = parsed.set(host="127.0.0.1", port=proxy.port)
        yield url.render_as_string(hide_password=False), proxy


def _every_call_is_a_store_error(repo: SqlInstanceRepo, uuid: str) -> None:
    calls = {
        "ref_by_id": lambda: repo.ref_by_id(uuid),
        "get": lambda: repo.get(uuid),
        "list": repo.list,
        "get_password": lambda: repo.get_password(uuid),
        "store_password": lambda: repo.store_password(uuid, b"sealed"),
        "clear_password": lambda: repo.clear_password(uuid),
        "report": lambda: repo.reports.get(uuid, "activation"),
    }
    for name, call in calls.items():
        with pytest.raises(StoreError) as err:
            call()
        assert err.value.subject, name


@pytest.mark.postgres
def test_postgres_outage_is_a_store_error_and_recovers_by_itself(through_proxy, make_instance):
    url, proxy = through_proxy
    with open_repo(url) as repo:
        inst = repo.add(make_instance(fixed_ips=["10.9.0.5"])).instance
        assert repo.ref_by_id(inst.uuid) is not None  # pools now hold live connections
        assert repo.health() is None
        proxy.cut()
        _every_call_is_a_store_error(repo, inst.uuid)
        reason = repo.health()
        assert reason is not None
        assert "\n" not in reason
        assert "cannot reach the database" in reason
        assert "wincloud:***@" in reason
        proxy.restore()
        # The first call after the database is back succeeds: dead connections are replaced.
        assert repo.ref_by_id(inst.uuid) is not None
        assert repo.health() is None
        assert repo.store_password(inst.uuid, b"sealed") is True
        assert repo.get_password(inst.uuid) == b"sealed"


@pytest.mark.postgres
def test_postgres_outage_during_writes_recovers_on_the_next_write(through_proxy, make_instance):
    url, proxy = through_proxy
    with open_repo(url) as repo:
        inst = repo.add(make_instance(fixed_ips=["10.9.0.6"])).instance
        proxy.cut()
        with pytest.raises(StoreError, match="cannot store the password"):
            repo.store_password(inst.uuid, b"lost")
        proxy.restore()
        assert repo.get_password(inst.uuid) is None
        assert repo.store_password(inst.uuid, b"kept") is True


@pytest.mark.postgres
def test_terminated_backends_cost_nothing(pg_url, make_instance):
    with open_repo(pg_url) as repo:
        inst = repo.add(make_instance(fixed_ips=["10.9.0.7"])).instance
        assert repo.health() is None
        assert repo.ref_by_id(inst.uuid) is not None
        killer = sa.create_engine(pg_url)
        try:
            with killer.connect() as conn:
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            killer.dispose()
        assert repo.health() is None
        assert repo.ref_by_id(inst.uuid) is not None
        assert repo.store_password(inst.uuid, b"sealed") is True


@pytest.mark.postgres
def test_health_answers_in_time_when_the_database_hangs(through_proxy, make_instance):
    url, proxy = through_proxy
    with open_repo(url) as repo:
        repo.add(make_instance(fixed_ips=["10.9.0.8"]))
        assert repo.health() is None
        proxy.freeze()
        try:
            assert repo.health(timeout=0.5) == "the database did not answer within 0.5 s"
            # the first check is still stuck: the next one says so at once
            again = repo.health(timeout=0.5) or ""
            assert again.startswith("the database has not answered a health check for ")
        finally:
            proxy.thaw()
        reason = repo.health(timeout=10)
        for _ in range(100):  # the stuck check finishes once the database answers again
            if reason is None:
                break
            time.sleep(0.05)
            reason = repo.health(timeout=10)
        assert reason is None


def test_unreachable_postgres_is_reported_within_the_connect_timeout():
    url = "postgresql+psycopg://wincloud:hunter2@127.0.0.1:1/wincloud"
    from wincloud.store.engine import create_read_engine, create_store_engine

    engine = create_store_engine(url)
    try:
        repo = SqlInstanceRepo(engine, url, reader=create_read_engine(engine))
        reason = repo.health()
        assert reason is not None
        assert "hunter2" not in reason
        with pytest.raises(StoreError, match="cannot look up an instance") as err:
            repo.ref_by_id(UNKNOWN)
        assert "server running" in (err.value.hint or "")
    finally:
        engine.dispose()


# -- SQLite: the file goes away or becomes read-only while the store is open --------------


@pytest.fixture
def sqlite_repo(tmp_path, make_instance) -> Iterator[tuple[SqlInstanceRepo, str]]:
    path = tmp_path / "store" / "metadata.db"
    with open_repo(f"sqlite:///{path}", create=True) as repo:
        uuid = repo.add(make_instance(fixed_ips=["10.9.1.5"])).instance.uuid
        yield repo, uuid
        for item in (path, path.parent):
            if item.exists():
                item.chmod(0o700 if item.is_dir() else 0o600)


def test_deleted_sqlite_file_refuses_writes_and_is_not_recreated(sqlite_repo, tmp_path):
    repo, uuid = sqlite_repo
    path = tmp_path / "store" / "metadata.db"
    assert repo.health() is None
    for leftover in path.parent.iterdir():
        leftover.unlink()
    reason = repo.health()
    assert reason is not None
    assert "was deleted" in reason
    with pytest.raises(StoreError, match=r"refusing to write: .* was deleted") as err:
        repo.store_password(uuid, b"sealed")
    assert "restore the file" in (err.value.hint or "")
    # A fresh connection (the pool after a restart of it) does not make an empty database.
    repo.engine.dispose()
    with pytest.raises(StoreError, match="cannot look up an instance"):
        repo.ref_by_id(uuid)
    assert not path.exists()
    with pytest.raises(StoreError, match="there is no SQLite database at"):
        open_repo(f"sqlite:///{path}")
    assert not path.exists()


def test_replaced_sqlite_file_is_reported(sqlite_repo, tmp_path):
    repo, uuid = sqlite_repo
    path = tmp_path / "store" / "metadata.db"
    shutil.copy(path, tmp_path / "copy.db")
    path.unlink()
    shutil.move(tmp_path / "copy.db", path)
    assert "was replaced" in (repo.health() or "")
    with pytest.raises(StoreError, match="was replaced"):
        repo.store_password(uuid, b"sealed")


def test_sqlite_path_that_stops_being_a_database_is_a_store_error(sqlite_repo, tmp_path):
    repo, uuid = sqlite_repo
    path = tmp_path / "store" / "metadata.db"
    for leftover in path.parent.iterdir():
        leftover.unlink()
    path.mkdir()  # unopenable as a database, whoever runs the test
    repo.engine.dispose()
    with pytest.raises(StoreError, match="cannot look up an instance") as err:
        repo.ref_by_id(uuid)
    assert "permissions" in (err.value.hint or "")
    with pytest.raises(StoreError):
        repo.get(uuid)
    assert repo.health() is not None


def test_read_only_sqlite_file_refuses_writes_until_writable_again(sqlite_repo, tmp_path):
    repo, uuid = sqlite_repo
    path = tmp_path / "store" / "metadata.db"
    path.chmod(0o444)
    assert "is read-only" in (repo.health() or "")
    with pytest.raises(StoreError, match="read-only"):
        repo.store_password(uuid, b"sealed")
    assert repo.ref_by_id(uuid) is not None  # reads go on
    path.chmod(0o600)
    assert repo.health() is None
    assert repo.get_password(uuid) is None  # the refused write left nothing
    assert repo.store_password(uuid, b"sealed") is True


def test_unreadable_sqlite_file_is_unhealthy(sqlite_repo, tmp_path):
    repo, _ = sqlite_repo
    (tmp_path / "store" / "metadata.db").chmod(0)
    assert "is not readable" in (repo.health() or "")


def test_file_deleted_during_a_write_is_not_acknowledged(sqlite_repo, tmp_path):
    repo, uuid = sqlite_repo
    path = tmp_path / "store" / "metadata.db"
    from wincloud.store.engine import begin_write
    from wincloud.store.tables import passwords

    with pytest.raises(StoreError, match=r"the write may be lost: .* was deleted"):
        with begin_write(repo.engine) as conn:
            row = {"instance_uuid": uuid, "ciphertext": b"x", "set_at": datetime.now(UTC)}
            conn.execute(sa.insert(passwords).values(**row))
            for leftover in path.parent.iterdir():
                leftover.unlink()
