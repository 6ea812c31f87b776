"""``wincloud configdrive build|read`` end to end through the CLI entry point."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from wincloud.cli import main
from wincloud.configdrive import META_DATA_PATH, DriveFormat, build_drive, read_drive


def run(capsys, *args):
    """Run the CLI; return (exit status, stdout, stderr)."""
    try:
        main(["configdrive", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def record_file(tmp_path, instance):
    path = tmp_path / "instance.yaml"
    path.write_text(yaml.safe_dump(instance.to_document()))
    return path


@pytest.mark.parametrize("fmt", ["iso", "vfat"])
def test_build_from_file_writes_the_instance_drive(capsys, tmp_path, instance, record_file, fmt):
    path = record_file
    out = tmp_path / f"drive.{fmt}"
    status, _, err = run(
        capsys, "build", "--from-file", str(path), "--out", str(out), "--format", fmt
    )
    assert status == 0, err
    files = read_drive(out)
    assert json.loads(files[META_DATA_PATH])["uuid"] == instance.uuid
    assert files["openstack/content/0000"] == instance.files[0].content
    assert str(out) in err


@pytest.mark.parametrize("fmt", ["iso", "vfat"])
def test_building_twice_from_a_record_gives_the_same_bytes(capsys, tmp_path, record_file, fmt):
    first, second = tmp_path / "a.img", tmp_path / "b.img"
    for out in (first, second):
        status, _, err = run(
            capsys, "build", "--from-file", str(record_file), "--out", str(out), "--format", fmt
        )
        assert status == 0, err
    assert first.read_bytes() == second.read_bytes()


def test_build_from_the_store(capsys, tmp_path, instance):
    from wincloud.store import open_repo

    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_repo(url, create=True) as repo:
        repo.add(instance)
    out = tmp_path / "drive.iso"
    status, _, err = run(capsys, "build", "--db", url, instance.uuid, "--out", str(out))
    assert status == 0, err
    assert json.loads(read_drive(out)[META_DATA_PATH])["hostname"] == instance.hostname


def test_build_of_an_unknown_instance_fails_cleanly(capsys, tmp_path):
    from wincloud.store import open_repo

    url = f"sqlite:///{tmp_path / 'store.db'}"
    open_repo(url, create=True).close()
    out = tmp_path / "drive.iso"
    status, _, err = run(capsys, "build", "--db", url, "no-such-vm", "--out", str(out))
    assert status == 1
    assert "error[not-found]" in err
    assert "no-such-vm" in err
    assert not out.exists()


@pytest.mark.parametrize("extra", [[], ["--from-file", "x.yaml", "--db", "sqlite://", "id"]])
def test_build_needs_exactly_one_source(capsys, tmp_path, extra):
    status, _, err = run(capsys, "build", "--out", str(tmp_path / "d.iso"), *extra)
    assert status == 2
    assert "error[config-error]" in err
    assert "--from-file" in err


def test_read_lists_paths_with_sizes(capsys, tmp_path, record_file):
    path = record_file
    out = tmp_path / "drive.iso"
    run(capsys, "build", "--from-file", str(path), "--out", str(out))
    status, listing, err = run(capsys, "read", str(out))
    assert status == 0, err
    drive = read_drive(out)
    rows = dict(line.split()[::-1] for line in listing.splitlines())
    assert rows == {name: str(len(data)) for name, data in drive.items()}
    assert "label config-2" in err


def test_read_json_gives_text_and_marked_base64(capsys, tmp_path, files):
    files["openstack/content/0001"] = b"\xff\x00binary"
    out = tmp_path / "drive.vfat"
    build_drive(files, out, fmt=DriveFormat.VFAT)
    status, printed, err = run(capsys, "read", "--json", str(out))
    assert status == 0, err
    doc = json.loads(printed)
    assert doc[META_DATA_PATH] == files[META_DATA_PATH].decode()
    assert base64.b64decode(doc["openstack/content/0001"]["base64"]) == b"\xff\x00binary"


def test_read_refuses_a_drive_without_meta_data(capsys, tmp_path, files):
    del files[META_DATA_PATH]
    out = tmp_path / "drive.iso"
    build_drive(files, out)
    status, printed, err = run(capsys, "read", str(out))
    assert status == 1
    assert err.startswith("error[drive-error]")
    assert META_DATA_PATH in err
    assert printed == ""


def test_read_refuses_meta_data_without_uuid(capsys, tmp_path, files):
    files[META_DATA_PATH] = b'{"hostname": "x"}'
    out = tmp_path / "drive.iso"
    build_drive(files, out)
    status, _, err = run(capsys, "read", str(out))
    assert status == 1
    assert "uuid" in err
    assert f"{out}:{META_DATA_PATH}" in err


def test_read_of_junk_is_one_line_and_a_hint(capsys, tmp_path):
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"\x00" * 70000)
    status, _, err = run(capsys, "read", str(junk))
    assert status == 1
    lines = err.splitlines()
    assert lines[0] == f"error[drive-error]: not an ISO 9660 or FAT image: {junk}"
    assert lines[1].startswith("hint: ")
