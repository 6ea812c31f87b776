"""The shared atomic writer: the target is replaced by a rename or not touched at all, no staging
file outlives a write, and the new file gets exactly the permissions its caller asks for."""

from __future__ import annotations

import errno
import logging
import os
import stat

import pytest

from tests.conftest import umask
from wincloud.platform.atomic import StagedFile, write_file


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_077():
    with umask(0o077):
        yield


def test_the_target_is_replaced_by_a_rename_not_rewritten_in_place(tmp_path):
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    old_link = tmp_path / "old-link"
    os.link(target, old_link)  # a reader that had the old file open keeps the old content
    write_file(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new"
    assert old_link.read_bytes() == b"old"
    assert not os.path.samefile(target, old_link)
    assert _listing(tmp_path) == ["old-link", "state.json"]


def test_just_before_the_rename_the_staging_file_is_whole_and_the_target_still_old(tmp_path):
    target = tmp_path / "agent.toml"
    target.write_bytes(b"old")
    seen = {}

    def look(staged):
        seen["name"] = staged.name
        seen["folder"] = staged.parent
        seen["staged"] = staged.read_bytes()
        seen["target"] = target.read_bytes()

    write_file(target, b"new content", mode=0o644, before_replace=look)
    assert seen["folder"] == tmp_path
    assert seen["name"].startswith(".agent.toml.") and seen["name"].endswith(".tmp")
    assert (seen["staged"], seen["target"]) == (b"new content", b"old")
    assert _listing(tmp_path) == ["agent.toml"]


def _oserror(staged):
    raise OSError(errno.EIO, "Input/output error")


def _interrupt(staged):
    raise KeyboardInterrupt


@pytest.mark.parametrize(("fail", "error"), [(_oserror, OSError), (_interrupt, KeyboardInterrupt)])
def test_a_failure_before_the_rename_keeps_the_old_file_and_no_staging_file(tmp_path, fail, error):
    target = tmp_path / "out.iso"
    target.write_bytes(b"old")
    with pytest.raises(error):
        write_file(target, b"new", mode=0o600, before_replace=fail)
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["out.iso"]


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left"), KeyboardInterrupt()])
def test_a_failed_sync_keeps_the_old_file_and_no_staging_file(tmp_path, monkeypatch, error):
    def fail(fd):
        raise error

    monkeypatch.setattr(os, "fsync", fail)
    target = tmp_path / "out.iso"
    target.write_bytes(b"old")
    with pytest.raises(type(error)):
        write_file(target, b"new", mode=0o600)
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["out.iso"]


def test_an_exception_in_the_writing_block_discards_the_staging_file(tmp_path):
    target = tmp_path / "bundle.tar.gz"
    target.write_bytes(b"old")
    with pytest.raises(ValueError), StagedFile(target, mode=0o600) as out:
        out.write(b"half")
        raise ValueError("the writer broke")
    assert target.read_bytes() == b"old"
    assert _listing(tmp_path) == ["bundle.tar.gz"]


def test_a_failed_rename_keeps_what_is_at_the_target_and_no_staging_file(tmp_path):
    target = tmp_path / "state.json"
    target.mkdir()
    (target / "inside").write_bytes(b"x")  # a non-empty directory in the way
    with pytest.raises(OSError):
        write_file(target, b"new", mode=0o600)
    assert _listing(tmp_path) == ["state.json"]
    assert _listing(target) == ["inside"]


def test_a_missing_folder_is_an_os_error_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        StagedFile(tmp_path / "absent" / "x", mode=0o600)
    assert _listing(tmp_path) == []


def test_a_link_at_the_target_is_replaced_not_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"keep")
    target = tmp_path / "hostname"
    target.symlink_to(elsewhere)
    write_file(target, b"new", mode=0o644)
    assert not target.is_symlink() and target.read_bytes() == b"new"
    assert elsewhere.read_bytes() == b"keep"


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o700, 0o755])
def test_the_mode_asked_for_is_set_whatever_the_umask(tmp_path, umask_077, mode):
    target = tmp_path / "f"
    write_file(target, b"x", mode=mode)
    assert oct(_mode(target)) == oct(mode)


def test_the_new_file_takes_the_mode_asked_for_not_the_old_files(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    target.chmod(0o666)
    write_file(target, b"new", mode=0o600)
    assert oct(_mode(target)) == oct(0o600)


def test_no_mode_leaves_the_new_file_private(tmp_path):
    target = tmp_path / "f"
    write_file(target, b"x", mode=None)
    assert oct(_mode(target)) == oct(0o600)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_owner_is_set_and_a_set_id_mode_survives_it(tmp_path):
    target = tmp_path / "tool"
    write_file(target, b"#!/bin/sh\n", mode=0o4755, owner=(1234, 2345))
    info = target.stat()
    assert (info.st_uid, info.st_gid) == (1234, 2345)
    assert oct(stat.S_IMODE(info.st_mode)) == oct(0o4755)


def test_a_folder_that_cannot_be_synced_is_logged_not_raised(tmp_path, monkeypatch, caplog):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with caplog.at_level(logging.WARNING, logger="wincloud.platform.atomic"):
        write_file(target, b"new", mode=0o600)  # the rename is done: no error claims otherwise
    assert target.read_bytes() == b"new"
    assert "folder not synced" in caplog.text and str(tmp_path) in caplog.text
    assert _listing(tmp_path) == ["f"]
