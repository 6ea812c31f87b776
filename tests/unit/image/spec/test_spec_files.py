"""require_files names every missing file at once (as load errors do), says when a path is a
folder rather than a file; an empty path is refused at load with its key."""

from __future__ import annotations

import pytest

from tests.unit.image.spec.conftest import base_data
from wincloud.errors import ConfigError
from wincloud.image.spec import load_spec


def test_every_missing_file_is_named_at_once(write_spec):
    spec = load_spec(write_spec())
    with pytest.raises(ConfigError) as info:
        spec.require_files()
    message = info.value.message
    for key in ("source.iso", "drivers.virtio_win_iso", "agent.msi"):
        assert f"{key}: file not found" in message


def test_a_folder_where_a_file_belongs_is_named_as_such(write_spec, tmp_path):
    (tmp_path / "dist" / "wincloud-agent.msi").mkdir(parents=True)
    spec = load_spec(write_spec())
    with pytest.raises(ConfigError, match=r"agent\.msi: not a file: .*wincloud-agent\.msi"):
        spec.require_files("agent.msi")


def test_an_empty_path_names_its_key(write_spec):
    data = base_data()
    data["agent"]["msi"] = ""
    with pytest.raises(ConfigError, match=r"agent\.msi: an empty path"):
        load_spec(write_spec(data))
