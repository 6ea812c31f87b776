"""Outputs of ``wincloud image``: written whole or not at all, with the permissions a plain
``open()`` would give, and failures as one ImageError that names the file."""

from __future__ import annotations

import errno
import stat

import pytest

from tests.conftest import umask
from wincloud.errors import ImageError
from wincloud.image.outfile import replacing, write_output


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def umask_027():
    with umask(0o027):
        yield


def test_the_output_is_replaced_and_no_staging_file_is_left(tmp_path):
    out = tmp_path / "autounattend.xml"
    out.write_bytes(b"old")
    write_output(out, b"<new/>", what="answer file")
    assert out.read_bytes() == b"<new/>"
    assert _listing(tmp_path) == ["autounattend.xml"]


def test_a_new_output_gets_the_umask_mode_as_open_would_give(tmp_path, umask_027):
    out = tmp_path / "autounattend.xml"
    write_output(out, b"<new/>", what="answer file")
    assert oct(stat.S_IMODE(out.stat().st_mode)) == oct(0o640)


def test_a_replaced_output_keeps_the_old_files_mode(tmp_path):
    out = tmp_path / "shot.png"
    out.write_bytes(b"old")
    out.chmod(0o604)
    write_output(out, b"new", what="screenshot")
    assert oct(stat.S_IMODE(out.stat().st_mode)) == oct(0o604)


@pytest.mark.parametrize("error", [KeyboardInterrupt(), ImageError("the writer broke")])
def test_an_interrupted_write_keeps_the_old_output_and_no_staging_file(tmp_path, error):
    out = tmp_path / "answer.iso"
    out.write_bytes(b"old")
    with pytest.raises(type(error)), replacing(out, what="answer CD") as sink:
        sink.write(b"half")
        raise error
    assert out.read_bytes() == b"old"
    assert _listing(tmp_path) == ["answer.iso"]


def test_a_failed_write_says_the_old_file_is_unchanged(tmp_path):
    out = tmp_path / "build.log"
    out.write_bytes(b"old")
    with pytest.raises(ImageError) as info, replacing(out, what="log") as sink:
        sink.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(info.value).startswith(
        "cannot write the log (No space left on device); the old file, if any, is unchanged"
    )
    assert info.value.subject == str(out)
    assert out.read_bytes() == b"old"
    assert _listing(tmp_path) == ["build.log"]


def test_a_missing_folder_is_one_image_error_with_a_hint(tmp_path):
    out = tmp_path / "absent" / "autounattend.xml"
    with pytest.raises(ImageError) as info:
        write_output(out, b"<new/>", what="answer file")
    assert str(info.value).startswith("cannot write the answer file (No such file or directory)")
    assert info.value.subject == str(out)
    assert info.value.hint == "give a path in a folder you can write to"
    assert _listing(tmp_path) == []
