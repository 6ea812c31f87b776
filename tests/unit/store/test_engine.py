"""Opening stores: URLs, the default location, SQLite set-up, and clean StoreErrors."""

from __future__ import annotations

import stat

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL
from tests.pg import fresh_database
from wincloud.errors import StoreError
from wincloud.store import default_db_url, display_url, open_repo
from wincloud.store.tables import instances


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://u:s3cr%40t@h/db", "postgresql+psycopg://u:***@h/db"),
        ("postgresql://u:pa@ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u:a/b@h/db", "postgresql://u:***@h/db"),
        (
            "postgresql://h/db?user=u&password=s3cret&x=1",
            "postgresql://h/db?user=u&password=***&x=1",
        ),
        ("sqlite:////var/lib/wincloud/metadata.db", "sqlite:////var/lib/wincloud/metadata.db"),
        ("mysql://u@h/db", "mysql://u@h/db"),
    ],
)
def test_display_url_hides_passwords(url, shown):
    assert display_url(url) == shown


def test_default_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WINCLOUD_DB", "postgresql+psycopg://h/db")
    assert default_db_url() == "postgresql+psycopg://h/db"


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("WINCLOUD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_url() == f"sqlite:///{tmp_path}/data/wincloud/metadata.db"


def test_sqlite_file_and_directory_are_created_private(tmp_path):
    path = tmp_path / "deep" / "er" / "metadata.db"
    open_repo(f"sqlite:///{path}", create=True).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    with open_repo(url, create=True) as repo, repo.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_in_memory_sqlite_works(make_instance):
    with open_repo("sqlite://") as repo:
        inst = repo.add(make_instance()).instance
        assert repo.ref_by_id(inst.uuid) is not None


def test_sqlite_under_a_file_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the SQLite database file") as err:
        open_repo(f"sqlite:///{blocker}/sub/metadata.db", create=True)
    assert "--db" in (err.value.hint or "")


def test_unparsable_url_is_a_store_error():
    with pytest.raises(StoreError, match="not a database URL") as err:
        open_repo("this is not a url")
    assert "WINCLOUD_DB" in (err.value.hint or "")


def test_unknown_database_kind_is_a_store_error():
    with pytest.raises(StoreError, match="unknown database kind 'nosuchdb'"):
        open_repo("nosuchdb://u:p@h/db")


def test_unreachable_server_is_a_store_error_without_the_password():
    url = "postgresql+psycopg://wincloud:hunter2-secret@127.0.0.1:1/wincloud?connect_timeout=3"
    with pytest.raises(StoreError) as err:
        open_repo(url)
    text = f"{err.value}\n{err.value.hint}"
    assert "hunter2-secret" not in text
    assert "127.0.0.1:1" in str(err.value)
    assert "cannot read the schema version" in str(err.value)
    assert "server running" in (err.value.hint or "")
    assert err.value.__cause__ is None
    assert err.value.__suppress_context__


@pytest.mark.postgres
def test_missing_postgres_database_is_a_store_error():
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set WINCLOUD_TEST_PG_URL")
    url = make_url(PG_URL).set(database="wct_does_not_exist", password="pw-not-shown")
    with pytest.raises(StoreError, match="wct_does_not_exist") as err:
        open_repo(url.render_as_string(hide_password=False))
    assert "pw-not-shown" not in f"{err.value}\n{err.value.hint}"


def test_failed_write_reports_no_record_data(db_url, make_instance):
    with open_repo(db_url, create=True) as repo:
        with repo.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE addresses"))
        inst = make_instance(admin_pass="Sup3r-Secret-Pass")
        with pytest.raises(StoreError, match="cannot add the instance") as err:
            repo.add(inst)
        text = f"{err.value}\n{err.value.hint}"
        assert "Sup3r-Secret-Pass" not in text
        assert "Write-Host" not in text
        with repo.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(instances)).scalar() == 0


def test_corrupt_stored_record_is_a_store_error(db_url, make_instance):
    with open_repo(db_url, create=True) as repo:
        inst = repo.add(make_instance()).instance
        with repo.engine.begin() as conn:
            conn.execute(sa.update(instances).values(record='{"uuid": "x"}'))
        with pytest.raises(StoreError, match=f"stored record of instance {inst.uuid}") as err:
            repo.get(inst.uuid)
    assert "wincloud instance update" in (err.value.hint or "")


@pytest.mark.postgres
def test_reads_survive_dropped_server_connections(make_instance):
    if not PG_URL:
        pytest.skip("PostgreSQL not configured: set WINCLOUD_TEST_PG_URL")
    with fresh_database(PG_URL) as db_url, open_repo(db_url) as repo:
        inst = repo.add(make_instance(fixed_ips=["10.7.0.5"])).instance
        ip = inst.fixed_ips[0]
        assert repo.ref_by_address(ip) is not None  # the pool now holds a connection
        killer = sa.create_engine(db_url)
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
        ref = repo.ref_by_address(ip)
    assert ref is not None
    assert ref.uuid == inst.uuid


def test_an_existing_empty_file_is_given_the_schema_without_create(tmp_path, make_instance):
    path = tmp_path / "touched.db"
    path.touch(mode=0o600)
    with open_repo(f"sqlite:///{path}") as repo:
        repo.add(make_instance())
        assert len(repo.list()) == 1


def test_a_missing_file_or_directory_is_a_store_error_naming_the_url(tmp_path):
    for missing in (tmp_path / "nofile.db", tmp_path / "nodir" / "metadata.db"):
        url = f"sqlite:///{missing}"
        with pytest.raises(StoreError, match="there is no SQLite database at") as err:
            open_repo(url)
        assert err.value.subject == url
        assert f"wincloud db init --db {url}" in (err.value.hint or "")
        assert "metadata serve --create" in (err.value.hint or "")
        assert not missing.exists()
        assert not (tmp_path / "nodir").exists()


def test_relative_sqlite_urls_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match=f"no SQLite database at {tmp_path}/var/lib/m.db"):
        open_repo("sqlite:///var/lib/m.db")
    open_repo("sqlite:///var/lib/m.db", create=True).close()
    assert (tmp_path / "var" / "lib" / "m.db").is_file()
