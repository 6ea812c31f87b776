"""`wincloud image unattend SPEC [--stage] [--out]`: the same bytes as render_unattend."""

from __future__ import annotations

from pathlib import Path

from wincloud.cli import main
from wincloud.image.spec import load_spec
from wincloud.image.unattend import render_unattend


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["image", "unattend", *args])
        status = 0
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    out = capsys.readouterr()
    return status, out.out, out.err


def test_unattend_writes_the_install_file_to_stdout_by_default(capsys, write_spec):
    path = write_spec()
    status, out, _ = run(capsys, str(path))
    assert status == 0
    assert out.encode() == render_unattend(load_spec(path), "install")


def test_unattend_generalize_to_a_file(capsys, write_spec, tmp_path):
    path = write_spec()
    out = tmp_path / "generalize.xml"
    status, stdout, _ = run(capsys, str(path), "--stage", "generalize", "--out", str(out))
    assert status == 0 and stdout == ""
    assert out.read_bytes() == render_unattend(load_spec(path), "generalize")


def test_unattend_refuses_an_unknown_stage(capsys, write_spec):
    status, _, err = run(capsys, str(write_spec()), "--stage", "audit")
    assert status == 2
    assert "audit" in err


def test_unattend_on_a_bad_spec_names_the_key(capsys, write_spec, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(write_spec().read_text().replace('bus = "virtio"', 'bus = "ide"'))
    status, _, err = run(capsys, str(bad))
    assert status == 2
    assert "disk.bus" in err


def test_unattend_refuses_to_write_over_its_own_spec(capsys, write_spec):
    path = write_spec()
    before = path.read_bytes()
    status, _, err = run(capsys, str(path), "--out", str(path))
    assert status == 2
    assert "would replace the spec" in err and str(path) in err
    assert path.read_bytes() == before


def test_unattend_creates_a_missing_folder_as_media_does(capsys, write_spec, tmp_path):
    out = tmp_path / "no-such-folder" / "autounattend.xml"
    status, _, err = run(capsys, str(write_spec()), "--out", str(out))
    assert status == 0, err
    assert out.read_bytes().startswith(b"<?xml")


def test_unattend_refuses_to_replace_a_device(capsys, write_spec, tmp_path):
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    status, _, err = run(capsys, str(write_spec()), "--out", str(link))
    assert status == 1
    assert "not a regular file" in err and str(link) in err
    assert link.is_symlink() and Path("/dev/null").is_char_device()


def test_unattend_replaces_an_old_file_with_its_permissions(capsys, write_spec, tmp_path):
    out = tmp_path / "autounattend.xml"
    out.write_bytes(b"old")
    out.chmod(0o640)
    status, _, _ = run(capsys, str(write_spec()), "--out", str(out))
    assert status == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert out.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
