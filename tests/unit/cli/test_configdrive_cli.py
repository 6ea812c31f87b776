"""`wincloud configdrive build` from the store: the shared --db option (and WINCLOUD_DB), and
clear errors for a missing or unknown instance ID."""

from __future__ import annotations

import json

import pytest

from wincloud.cli import main
from wincloud.configdrive import META_DATA_PATH, read_drive
from wincloud.store import open_repo


def run(capsys, *args: str) -> tuple[int, str]:
    try:
        main(["configdrive", "build", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    return status, capsys.readouterr().err


@pytest.fixture
def stored(tmp_path, instance):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_repo(url, create=True) as repo:
        repo.add(instance)
    return url, instance


def test_build_reads_the_store_from_wincloud_db(capsys, monkeypatch, tmp_path, stored):
    url, instance = stored
    monkeypatch.setenv("WINCLOUD_DB", url)
    out = tmp_path / "drive.iso"
    status, err = run(capsys, instance.name, "--out", str(out))
    assert status == 0, err
    assert json.loads(read_drive(out)[META_DATA_PATH])["uuid"] == instance.uuid


def test_build_takes_db_then_id_as_before(capsys, tmp_path, stored):
    url, instance = stored
    out = tmp_path / "drive.img"
    status, err = run(capsys, "--db", url, instance.uuid, "--out", str(out), "--format", "vfat")
    assert status == 0, err
    assert json.loads(read_drive(out)[META_DATA_PATH])["hostname"] == instance.hostname


def test_forgotten_id_is_a_clear_error(capsys, monkeypatch, tmp_path, stored):
    url, _ = stored
    monkeypatch.setenv("WINCLOUD_DB", url)
    status, err = run(capsys, "--out", str(tmp_path / "drive.iso"))
    assert status == 2
    assert err.startswith("error[config-error]: which instance? give its ID")
    assert "hint: `wincloud instance list`" in err
    assert "Traceback" not in err


def test_unknown_id_names_it_and_the_store(capsys, tmp_path, stored):
    url, _ = stored
    out = tmp_path / "drive.iso"
    status, err = run(capsys, "--db", url, "web-99", "--out", str(out))
    assert status == 1
    assert err.startswith(f"error[not-found]: no such instance in {url}: web-99")
    assert "wincloud instance list" in err
    assert not out.exists()


def test_id_and_from_file_together_are_refused(capsys, tmp_path, stored):
    status, err = run(
        capsys, "web01", "--from-file", str(tmp_path / "r.yaml"), "--out", str(tmp_path / "o")
    )
    assert status == 2
    assert "not both" in err


def test_a_mistyped_store_is_not_created(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'nowhere' / 'store.db'}"
    status, err = run(capsys, "--db", url, "web01", "--out", str(tmp_path / "drive.iso"))
    assert status == 1
    assert "error[store-error]: there is no SQLite database at" in err
    assert not (tmp_path / "nowhere").exists()


def test_out_naming_the_store_is_refused_and_the_store_kept(capsys, tmp_path, stored):
    url, instance = stored
    db_file = tmp_path / "store.db"
    before = db_file.read_bytes()
    status, err = run(capsys, "--db", url, instance.name, "--out", str(db_file))
    assert status == 2
    assert err.startswith("error[config-error]: --out names an existing file that is not a")
    assert str(db_file) in err
    assert db_file.read_bytes() == before
    with open_repo(url) as repo:
        assert repo.get(instance.uuid) is not None


def test_out_naming_the_record_file_is_refused(capsys, tmp_path):
    from tests.conftest import instance_record

    record = tmp_path / "vm.json"
    record.write_text(json.dumps(instance_record()))
    before = record.read_bytes()
    status, err = run(capsys, "--from-file", str(record), "--out", str(record))
    assert status == 2
    assert "not a config drive" in err
    assert record.read_bytes() == before


def test_out_naming_another_iso_is_refused(capsys, tmp_path, stored):
    from wincloud.configdrive import build_drive

    url, instance = stored
    other = tmp_path / "install.iso"
    build_drive({"setup.exe": b"MZ"}, other, label="WIN_SERVER")
    before = other.read_bytes()
    status, err = run(capsys, "--db", url, instance.uuid, "--out", str(other))
    assert status == 2, err
    assert other.read_bytes() == before


@pytest.mark.parametrize("fmt", ["iso", "vfat"])
def test_an_existing_config_drive_is_rebuilt(capsys, tmp_path, stored, fmt):
    url, instance = stored
    out = tmp_path / "drive.img"
    assert run(capsys, "--db", url, instance.uuid, "--out", str(out))[0] == 0
    status, err = run(capsys, "--db", url, instance.uuid, "--out", str(out), "--format", fmt)
    assert status == 0, err
    assert json.loads(read_drive(out)[META_DATA_PATH])["uuid"] == instance.uuid


def test_out_naming_a_fifo_is_refused_and_left_in_place(capsys, tmp_path, stored):
    """A device or FIFO at --out would be replaced by a regular file (the image is renamed
    into place): as root, --out /dev/null left a file where /dev/null was."""
    import os
    import stat

    url, instance = stored
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, err = run(capsys, "--db", url, instance.uuid, "--out", str(fifo))
    assert status == 2, err
    assert "device or special file" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_from_file_dash_reads_the_record_from_standard_input(capsys, monkeypatch, tmp_path):
    # as `instance add -`; "-" was taken as a file name and was not found
    import io

    from tests.conftest import instance_record

    record = instance_record()
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(record)))
    out = tmp_path / "d.iso"
    status, err = run(capsys, "--from-file", "-", "--out", str(out))
    assert status == 0, err
    assert json.loads(read_drive(out)[META_DATA_PATH])["uuid"] == record["uuid"]


def test_from_file_dash_names_standard_input_in_errors(capsys, monkeypatch, tmp_path):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("uuid: [unclosed\n"))
    status, err = run(capsys, "--from-file", "-", "--out", str(tmp_path / "d.iso"))
    assert status != 0
    assert "<stdin>" in err and "Traceback" not in err
    assert not (tmp_path / "d.iso").exists()
