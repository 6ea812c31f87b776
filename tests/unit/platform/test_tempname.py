import os
import stat

import pytest

from wincloud.platform import tempname
from wincloud.platform.tempname import create_temp


def test_new_private_file_with_the_prefix_and_suffix(tmp_path):
    fd, name = create_temp(tmp_path, ".state.json.", ".tmp")
    os.write(fd, b"x")
    os.close(fd)
    base = os.path.basename(name)
    assert os.path.dirname(name) == str(tmp_path)
    assert base.startswith(".state.json.") and base.endswith(".tmp")
    assert len(base) == len(".state.json.") + 12 + len(".tmp")
    assert stat.S_IMODE(os.stat(name).st_mode) == 0o600
    assert (tmp_path / base).read_bytes() == b"x"


def test_names_differ(tmp_path):
    names = set()
    for _ in range(50):
        fd, name = create_temp(tmp_path, "p.")
        os.close(fd)
        names.add(name)
    assert len(names) == 50


def test_a_planted_link_at_the_name_is_skipped_not_followed(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep")
    draws = iter([b"\x00" * 6, b"\x01" * 6])
    monkeypatch.setattr(tempname.os, "urandom", lambda n: next(draws))
    (tmp_path / ("p." + "00" * 6)).symlink_to(target)
    fd, name = create_temp(tmp_path, "p.")
    os.write(fd, b"new")
    os.close(fd)
    assert name.endswith("01" * 6)
    assert target.read_bytes() == b"keep"


def test_gives_up_when_every_name_is_taken(tmp_path, monkeypatch):
    monkeypatch.setattr(tempname.os, "urandom", lambda n: b"\x00" * n)
    fd, _ = create_temp(tmp_path, "p.")
    os.close(fd)
    with pytest.raises(FileExistsError):
        create_temp(tmp_path, "p.")


def test_missing_folder_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        create_temp(tmp_path / "absent", "p.")
