"""drivers.extra folders put on the answer CD only what lies in them: a symbolic link leaving
the folder (to /etc/shadow, to ../secrets) was followed and its target copied onto the CD."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wincloud.cli import main
from wincloud.image.media import media_files
from wincloud.image.spec import load_spec


def _spec_with_extra(spec_files) -> tuple[Path, Path]:
    path = spec_files()
    extra = path.parent / "vendor"
    (extra / "sub").mkdir(parents=True)
    (extra / "sub" / "nic.inf").write_bytes(b"[Version]\n")
    path.write_text(path.read_text().replace("[agent]", 'extra = ["vendor"]\n\n[agent]'))
    return path, extra


def _media_error(path: Path, tmp_path: Path, capsys) -> str:
    out = tmp_path / "answer.iso"
    with pytest.raises(SystemExit) as exited:
        main(["image", "media", str(path), "--out", str(out)])
    assert exited.value.code == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("target", ["/etc/shadow", "../../secret.key"])
def test_a_link_leaving_the_folder_is_refused(spec_files, tmp_path, capsys, target):
    path, extra = _spec_with_extra(spec_files)
    (path.parent / "secret.key").write_text("PRIVATE")
    link = extra / "sub" / "leak.cat"
    link.symlink_to(target)
    err = _media_error(path, tmp_path, capsys)
    assert err.startswith("error[image-error]: drivers.extra[0]: a symbolic link to ")
    assert "outside the driver folder" in err and err.splitlines()[0].endswith(str(link))


def test_a_linked_folder_leaving_the_folder_is_refused(spec_files, tmp_path, capsys):
    path, extra = _spec_with_extra(spec_files)
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "id_rsa").write_text("PRIVATE")
    (extra / "keys").symlink_to(tmp_path / "private")
    err = _media_error(path, tmp_path, capsys)
    assert "outside the driver folder" in err and str(extra / "keys") in err


def test_a_dangling_link_is_refused(spec_files, tmp_path, capsys):
    path, extra = _spec_with_extra(spec_files)
    (extra / "gone.sys").symlink_to(extra / "nowhere.sys")
    err = _media_error(path, tmp_path, capsys)
    assert "target is missing or loops" in err and str(extra / "gone.sys") in err


def test_a_fifo_is_refused_not_read(spec_files, tmp_path, capsys):
    path, extra = _spec_with_extra(spec_files)
    os.mkfifo(extra / "pipe")
    err = _media_error(path, tmp_path, capsys)
    assert "neither a file nor a folder" in err and str(extra / "pipe") in err


def test_links_inside_the_folder_are_fine(spec_files):
    path, extra = _spec_with_extra(spec_files)
    (extra / "same.inf").symlink_to("sub/nic.inf")
    (extra / "again").symlink_to("sub")
    files = media_files(load_spec(path))
    staged = sorted(k for k in files if k.startswith("wincloud/drivers/extra1-vendor/"))
    assert staged == [
        "wincloud/drivers/extra1-vendor/same.inf",
        "wincloud/drivers/extra1-vendor/sub/nic.inf",
    ]
    assert files["wincloud/drivers/extra1-vendor/same.inf"] == b"[Version]\n"


def test_the_extra_folder_itself_may_be_a_link(spec_files, tmp_path):
    path, extra = _spec_with_extra(spec_files)
    linked = path.parent / "vendor-link"
    linked.symlink_to(extra)
    path.write_text(path.read_text().replace('extra = ["vendor"]', 'extra = ["vendor-link"]'))
    files = media_files(load_spec(path))
    assert files["wincloud/drivers/extra1-vendor-link/sub/nic.inf"] == b"[Version]\n"


def test_check_require_files_finds_a_link_leaving_the_folder(spec_files, capsys):
    # check --require-files said "ok" for a spec whose media would then be refused
    path, extra = _spec_with_extra(spec_files)
    (extra / "sub" / "leak.cat").symlink_to("/etc/shadow")
    with pytest.raises(SystemExit) as exited:
        main(["image", "check", str(path), "--require-files"])
    assert exited.value.code == 1
    assert "drivers.extra[0]: a symbolic link to /etc/shadow" in capsys.readouterr().err
