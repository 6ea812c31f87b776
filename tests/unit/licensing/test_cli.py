"""`wincloud host` and `wincloud report licences` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from wincloud.cli import main


def run(capsys, *argv):
    with pytest.raises(SystemExit) as stopped:
        main([*argv])
    out = capsys.readouterr()
    return stopped.value.code, out.out, out.err


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'store.db'}"


def ok(capsys, *argv):
    try:
        main([*argv])
    except SystemExit as stopped:  # click's standalone_mode=False returns; exit 0 may raise
        assert stopped.code in (0, None)
    return capsys.readouterr().out


def test_host_add_update_list_rm(capsys, db):
    ok(capsys, "host", "add", "hv1", "--sockets", "2", "--cores-per-socket", "12", "--db", db)
    ok(capsys, "host", "update", "hv1", "--cluster", "c1", "--licence", "standard",
       "--licensed-vms", "4", "--db", db)  # fmt: skip
    listed = json.loads(ok(capsys, "host", "list", "--json", "--db", db))
    assert listed == [
        {
            "hostname": "hv1",
            "sockets": 2,
            "cores_per_socket": 12,
            "cluster": "c1",
            "hypervisor": "hyperv",
            "licence": "standard",
            "licensed_vms": 4,
        }
    ]
    ok(capsys, "host", "update", "hv1", "--licence", "none", "--db", db)
    assert json.loads(ok(capsys, "host", "list", "--json", "--db", db))[0]["licence"] is None
    ok(capsys, "host", "rm", "hv1", "--db", db)
    assert json.loads(ok(capsys, "host", "list", "--json", "--db", db)) == []


@pytest.mark.parametrize(
    ("argv", "status", "code"),
    [
        (["host", "add", "hv1", "--sockets", "0", "--cores-per-socket", "8"], 2, "config-error"),
        (["host", "rm", "nope"], 1, "not-found"),
        (["host", "update", "nope", "--sockets", "2"], 1, "not-found"),
        (["report", "licences", "--month", "2026-13"], 2, "config-error"),
    ],
)
def test_user_errors_are_one_line_and_a_status(capsys, db, argv, status, code):
    ok(capsys, "db", "init", "--db", db)
    got, _, err = run(capsys, *argv, "--db", db)
    assert got == status
    assert err.startswith(f"error[{code}]: ")
    assert "Traceback" not in err


def test_a_bad_rules_file_is_named(capsys, db, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[pack_size]\nvalue = -1\n")
    ok(capsys, "db", "init", "--db", db)
    status, _, err = run(capsys, "report", "licences", "--month", "2026-11", "--rules",
                         str(rules), "--db", db)  # fmt: skip
    assert status == 2
    assert str(rules) in err


def test_report_written_to_a_file_states_the_rules_file(capsys, db, tmp_path):
    rules = tmp_path / "ours.toml"
    rules.write_text('name = "our contract"\n[min_cores_per_server]\nvalue = 0\n')
    out = tmp_path / "nov.csv"
    ok(capsys, "db", "init", "--db", db)
    ok(capsys, "report", "licences", "--month", "2026-11", "--format", "csv", "--rules",
       str(rules), "-o", str(out), "--db", db)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    named = {r["name"]: r for r in rows if r["section"] == "rule"}
    assert named["name"]["value"] == "our contract"
    assert str(rules) in named["name"]["detail"]
    assert named["min_cores_per_server"]["value"] == "0"
    assert "(no source given)" in named["min_cores_per_server"]["detail"]
