"""`wincloud db init|upgrade|status` through the console entry point."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from wincloud.cli import main
from wincloud.store import open_repo
from wincloud.store.engine import begin_write, create_store_engine
from wincloud.store.migrate import alembic_config, head_revisions


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def wincloud(capsys):
    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            code = main(list(args)) or 0  # ctx.exit(status) returns it (see __main__.py)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


HEAD = ", ".join(sorted(head_revisions()))


def test_init_creates_the_store_and_is_safe_to_repeat(wincloud, db_url, make_instance):
    created = wincloud("db", "init", "--db", db_url)
    assert created.code == 0, created.err
    assert created.out.startswith("created the store ")
    with open_repo(db_url) as repo:
        repo.add(make_instance())
    again = wincloud("db", "init", "--db", db_url)
    assert again.code == 0
    assert again.out.endswith(f"is ready (schema {HEAD})\n")
    with open_repo(db_url) as repo:
        assert len(repo.list()) == 1


def test_init_makes_the_sqlite_directory_and_file(wincloud, tmp_path, monkeypatch):
    path = tmp_path / "var" / "lib" / "metadata.db"
    monkeypatch.setenv("WINCLOUD_DB", f"sqlite:///{path}")
    assert wincloud("db", "init").code == 0
    assert path.is_file()


def test_status_reports_a_current_store(wincloud, db_url, make_instance):
    with open_repo(db_url, create=True) as repo:
        inst = repo.add(make_instance()).instance
        repo.store_password(inst.uuid, b"sealed")
    shown = wincloud("db", "status", "--db", db_url)
    assert shown.code == 0, shown.err
    lines = dict(line.split(":", 1) for line in shown.out.splitlines())
    assert lines["schema"].strip() == f"{HEAD} (current)"
    assert (lines["instances"].strip(), lines["passwords"].strip()) == ("1", "1")
    assert lines["health"].strip() == "ok"
    as_json = json.loads(wincloud("db", "status", "--db", db_url, "--json").out)
    assert (as_json["state"], as_json["ok"], as_json["instances"]) == ("current", True, 1)


def test_status_and_upgrade_of_an_older_schema(wincloud, db_url):
    open_repo(db_url, create=True).close()
    engine = create_store_engine(db_url)
    try:
        with begin_write(engine) as conn:
            from alembic import command

            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
    finally:
        engine.dispose()
    shown = wincloud("db", "status", "--db", db_url)
    assert shown.code == 1
    assert "0001 (older than this wincloud: run `wincloud db upgrade`)" in shown.out
    upgraded = wincloud("db", "upgrade", "--db", db_url)
    assert upgraded.code == 0, upgraded.err
    assert upgraded.out.endswith(f"from 0001 to {HEAD}\n")
    assert wincloud("db", "status", "--db", db_url).code == 0
    assert "already current" in wincloud("db", "upgrade", "--db", db_url).out


def test_status_of_an_empty_database_says_to_init(wincloud, db_url):
    create_store_engine(db_url, create=True).dispose()
    shown = wincloud("db", "status", "--db", db_url)
    assert shown.code == 1
    assert "none (no wincloud schema: run `wincloud db init`)" in shown.out


def test_status_of_a_newer_schema(wincloud, db_url):
    open_repo(db_url, create=True).close()
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    finally:
        engine.dispose()
    shown = wincloud("db", "status", "--db", db_url)
    assert shown.code == 1
    assert "9999_future (newer than this wincloud: upgrade wincloud)" in shown.out


@pytest.mark.parametrize("command", ["status", "upgrade"])
def test_status_and_upgrade_never_create_a_file(wincloud, tmp_path, command):
    url = f"sqlite:///{tmp_path / 'typo' / 'metadata.db'}"
    done = wincloud("db", command, "--db", url)
    assert done.code == 1
    assert done.err.startswith("error[store-error]: there is no SQLite database at ")
    assert f"wincloud db init --db {url}" in done.err
    assert not (tmp_path / "typo").exists()


def test_db_is_listed_in_the_help(wincloud):
    shown = wincloud("--help")
    assert "Create, upgrade and inspect the instance store." in shown.out
