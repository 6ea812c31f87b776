"""``collect-logs`` writes its bundle whole or not at all: private, and no partial bundle nor
staging file after a failure or Ctrl-C."""

from __future__ import annotations

import tarfile

import pytest

from wincloud.agent.collect import collect
from wincloud.errors import ConfigError
from wincloud.platform.fake import fake_platform


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def _collect(out, tmp_path):
    return collect(fake_platform(), out, log_file=tmp_path / "no.log", config_file=None)


def test_the_bundle_replaces_an_old_one_private_and_alone(tmp_path):
    out = tmp_path / "bundle.tar.gz"
    out.write_bytes(b"old bundle")
    out.chmod(0o644)
    names = _collect(out, tmp_path)
    assert oct(out.stat().st_mode & 0o777) == oct(0o600)
    with tarfile.open(out) as bundle:
        assert [m.name for m in bundle.getmembers()] == [f"wincloud-agent/{n}" for n in names]
    assert _listing(tmp_path) == ["bundle.tar.gz"]


def test_ctrl_c_while_writing_keeps_the_old_bundle_and_no_staging_file(tmp_path, ctrl_c_at_fsync):
    out = tmp_path / "bundle.tar.gz"
    out.write_bytes(b"old bundle")
    ctrl_c_at_fsync()
    with pytest.raises(KeyboardInterrupt):
        _collect(out, tmp_path)
    assert out.read_bytes() == b"old bundle"
    assert _listing(tmp_path) == ["bundle.tar.gz"]


def test_a_missing_folder_is_a_config_error_naming_the_bundle(tmp_path):
    out = tmp_path / "absent" / "bundle.tar.gz"
    with pytest.raises(ConfigError) as info:
        _collect(out, tmp_path)
    assert info.value.message == "cannot write the bundle (No such file or directory)"
    assert info.value.subject == str(out)
