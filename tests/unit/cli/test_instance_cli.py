"""`wincloud instance ...` driven through the real console entry point, in process."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import instance_record
from wincloud.cli import main
from wincloud.model import parse_instance
from wincloud.store import open_repo


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def wincloud(capsys, monkeypatch, db_url):
    """Run ``wincloud ARGS`` against the test's store (WINCLOUD_DB, created empty); returns
    exit, out, err."""
    open_repo(db_url, create=True).close()
    monkeypatch.setenv("WINCLOUD_DB", db_url)

    def run(*args: str, stdin: str | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def _write(path: Path, record: dict) -> str:
    path.write_text(yaml.safe_dump(record), encoding="utf-8")
    return str(path)


@pytest.fixture
def record():
    return instance_record(fixed_ips=["10.3.0.5", "fd00:3::5"])


def test_add_then_list_shows_the_instance(wincloud, tmp_path, record):
    added = wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    assert added.code == 0
    assert added.out.startswith(f"added {record['uuid']} (win-web-01): revision 1")
    listed = wincloud("instance", "list")
    assert listed.code == 0
    header, row = listed.out.splitlines()
    assert header.split() == ["UUID", "NAME", "HOSTNAME", "ADDRESSES", "REVISION", "PASSWORD"]
    cells = row.split()
    assert cells[:3] == [record["uuid"], "win-web-01", "win-web-01"]
    assert cells[3].startswith("10.3.0.5,fd00:3::5,")
    assert cells[4:] == ["1", "no"]


def test_add_reads_json_from_stdin(wincloud, record):
    added = wincloud("instance", "add", "-", stdin=json.dumps(record))
    assert added.code == 0
    assert record["uuid"] in added.out


def test_list_json_summarises_each_instance(wincloud, tmp_path, record, db_url):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    with open_repo(db_url) as repo:
        repo.store_password(record["uuid"], b"cipher")
    listed = wincloud("instance", "list", "--json")
    items = json.loads(listed.out)
    assert [(i["uuid"], i["revision"], i["has_password"]) for i in items] == [
        (record["uuid"], 1, True)
    ]
    assert items[0]["addresses"][:2] == ["10.3.0.5", "fd00:3::5"]


def test_list_of_empty_store_says_so(wincloud):
    listed = wincloud("instance", "list")
    assert (listed.code, listed.out) == (0, "")
    assert "no instances" in listed.err
    assert json.loads(wincloud("instance", "list", "--json").out) == []


def test_show_masks_secrets_unless_revealed(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    shown = wincloud("instance", "show", record["uuid"])
    assert shown.code == 0
    assert "S3cret-Admin!" not in shown.out
    assert "XXXXX-XXXXX" not in shown.out
    doc = yaml.safe_load(shown.out)
    assert doc["admin_pass"] == "***"
    assert doc["meta"] == {"windows_product_key": "***", "role": "web"}
    assert doc["user_data"] == "#ps1\nWrite-Host hello\n"
    revealed = yaml.safe_load(wincloud("instance", "show", "win-web-01", "--reveal").out)
    assert revealed["admin_pass"] == "S3cret-Admin!"
    assert revealed["meta"]["windows_product_key"] == "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"


def test_show_json_gives_revision_and_record(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    shown = json.loads(wincloud("instance", "show", record["uuid"], "--json", "--reveal").out)
    assert (shown["revision"], shown["has_password"]) == (1, False)
    assert parse_instance(shown["record"]) == parse_instance(record)


def test_shown_record_updates_back_unchanged(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    shown = wincloud("instance", "show", record["uuid"], "--reveal").out
    (tmp_path / "shown.yaml").write_text(shown, encoding="utf-8")
    updated = wincloud("instance", "update", record["uuid"], str(tmp_path / "shown.yaml"))
    assert updated.code == 0
    assert updated.out.strip() == f"updated {record['uuid']} (win-web-01): revision 2"
    again = json.loads(wincloud("instance", "show", record["uuid"], "--json", "--reveal").out)
    assert again["revision"] == 2
    assert parse_instance(again["record"]) == parse_instance(record)


def test_update_refuses_masked_placeholders(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    (tmp_path / "masked.yaml").write_text(wincloud("instance", "show", record["uuid"]).out)
    failed = wincloud("instance", "update", record["uuid"], str(tmp_path / "masked.yaml"))
    assert failed.code == 2
    assert "admin_pass" in failed.err
    assert "--reveal" in failed.err


def test_bad_record_exits_2_naming_the_field(wincloud, tmp_path, record):
    record["network_data"]["links"][0]["mtu"] = 12
    failed = wincloud("instance", "add", _write(tmp_path / "bad.yaml", record))
    assert failed.code == 2
    assert failed.err.startswith("error[config-error]: ")
    assert "network_data.links[0].mtu" in failed.err
    assert "bad.yaml" in failed.err
    assert "Traceback" not in failed.err
    assert json.loads(wincloud("instance", "list", "--json").out) == []


def test_unreadable_file_exits_2(wincloud, tmp_path):
    failed = wincloud("instance", "add", str(tmp_path / "missing.yaml"))
    assert failed.code == 2
    assert "missing.yaml" in failed.err


def test_failed_update_leaves_the_stored_record_whole(wincloud, tmp_path, record, db_url):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    other = instance_record(name="other", fixed_ips=["10.3.0.9"])
    wincloud("instance", "add", _write(tmp_path / "o.yaml", other))
    grabbing = {**record, "hostname": "changed", "fixed_ips": ["10.3.0.6", "10.3.0.9"]}
    failed = wincloud("instance", "update", record["uuid"], _write(tmp_path / "g.yaml", grabbing))
    assert failed.code == 2
    assert "10.3.0.9" in failed.err
    assert other["uuid"] in failed.err
    invalid = {**record, "hostname": "bad_name!"}
    failed = wincloud("instance", "update", record["uuid"], _write(tmp_path / "i.yaml", invalid))
    assert failed.code == 2
    assert "hostname" in failed.err
    with open_repo(db_url) as repo:
        stored = repo.get(record["uuid"])
        assert stored is not None
        assert (stored.revision, stored.instance) == (1, parse_instance(record))
        assert repo.ref_by_address(parse_instance(grabbing).fixed_ips[0]) is None


def test_update_takes_a_missing_uuid_from_id(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    without = {k: v for k, v in record.items() if k != "uuid"} | {"hostname": "renamed"}
    updated = wincloud("instance", "update", "win-web-01", _write(tmp_path / "u.yaml", without))
    assert updated.code == 0
    assert f"using {record['uuid']}" in updated.err
    shown = json.loads(wincloud("instance", "show", record["uuid"], "--json").out)
    assert (shown["revision"], shown["record"]["hostname"]) == (2, "renamed")


def test_update_with_another_uuid_is_refused(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    other = {**record, "uuid": "8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012"}
    failed = wincloud("instance", "update", record["uuid"], _write(tmp_path / "o.yaml", other))
    assert failed.code == 2
    assert "8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012" in failed.err


def test_update_of_missing_instance_fails(wincloud, tmp_path, record):
    failed = wincloud("instance", "update", record["uuid"], _write(tmp_path / "r.yaml", record))
    assert failed.code == 1
    assert failed.err.startswith("error[not-found]: no such instance")


def test_rm_removes_and_second_rm_fails(wincloud, tmp_path, record):
    wincloud("instance", "add", _write(tmp_path / "r.yaml", record))
    removed = wincloud("instance", "rm", "win-web-01")
    assert (removed.code, removed.out.strip()) == (0, f"removed {record['uuid']} (win-web-01)")
    again = wincloud("instance", "rm", record["uuid"])
    assert again.code == 1
    assert "error[not-found]" in again.err


def test_show_of_missing_instance_fails(wincloud):
    shown = wincloud("instance", "show", "nope")
    assert shown.code == 1
    assert "error[not-found]: no such instance: nope" in shown.err
    assert "hint:" in shown.err


def test_db_option_overrides_environment(wincloud, tmp_path, record):
    other_db = f"sqlite:///{tmp_path / 'other' / 'm.db'}"
    path = _write(tmp_path / "r.yaml", record)
    assert wincloud("instance", "add", "--db", other_db, path).code == 0
    assert json.loads(wincloud("instance", "list", "--json").out) == []
    in_other = json.loads(wincloud("instance", "list", "--json", "--db", other_db).out)
    assert [i["uuid"] for i in in_other] == [record["uuid"]]


def test_unreachable_database_is_a_clean_store_error(wincloud):
    url = "postgresql+psycopg://wincloud:hunter2-secret@127.0.0.1:1/x?connect_timeout=3"
    failed = wincloud("instance", "list", "--db", url)
    assert failed.code == 1
    assert failed.err.startswith("error[store-error]: cannot read the schema version")
    assert "hunter2-secret" not in failed.err
    assert "hint:" in failed.err


def test_default_store_lives_in_the_user_data_dir(capsys, monkeypatch, tmp_path, record):
    monkeypatch.delenv("WINCLOUD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    main(["instance", "add", _write(tmp_path / "r.yaml", record)])
    assert (tmp_path / "xdg" / "wincloud" / "metadata.db").is_file()
    main(["instance", "list"])
    assert record["uuid"] in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["instance", "list"],
        ["instance", "show", "web01"],
        ["instance", "update", "web01", "-"],
        ["instance", "rm", "web01"],
        ["instance", "clear-password", "web01"],
    ],
)
def test_commands_other_than_add_never_create_a_store(capsys, monkeypatch, tmp_path, args):
    monkeypatch.delenv("WINCLOUD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    mistyped = f"sqlite:///{tmp_path / 'typo' / 'metadata.db'}"
    for db in ([], ["--db", mistyped]):
        with pytest.raises(SystemExit) as ended:
            main([*args, *db])
        assert ended.value.code == 1
        err = capsys.readouterr().err
        assert err.startswith("error[store-error]: there is no SQLite database at ")
        assert "hint: create it with `wincloud db init --db sqlite:///" in err
    assert list(tmp_path.iterdir()) == []


def test_add_creates_the_store_named_by_db(wincloud, tmp_path, record):
    url = f"sqlite:///{tmp_path / 'new' / 'dir' / 'metadata.db'}"
    assert wincloud("instance", "add", "--db", url, _write(tmp_path / "r.yaml", record)).code == 0
    assert (tmp_path / "new" / "dir" / "metadata.db").is_file()


def test_clear_password_lets_the_guest_post_again(wincloud, tmp_path, record, db_url):
    assert wincloud("instance", "add", _write(tmp_path / "r.yaml", record)).code == 0
    with open_repo(db_url) as repo:
        assert repo.store_password(record["uuid"], b"sealed")
    cleared = wincloud("instance", "clear-password", record["name"])
    assert cleared.code == 0
    assert cleared.out.startswith(f"cleared {record['uuid']}")
    with open_repo(db_url) as repo:
        assert repo.get_password(record["uuid"]) is None
    again = wincloud("instance", "clear-password", record["uuid"])
    assert again.out.startswith("no password was set for")
    assert wincloud("instance", "clear-password", "nope").code != 0
