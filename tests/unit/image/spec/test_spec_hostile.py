"""Specs as careless editors write them: a byte-order mark (Notepad), a string where a list
goes, control characters and huge values; each is accepted or named, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.unit.image.spec.conftest import SPEC_TOML, base_data
from wincloud.errors import ConfigError
from wincloud.image.spec import load_spec


def test_a_byte_order_mark_is_not_part_of_the_toml(write_spec, tmp_path):
    # Windows editors save UTF-8 with a BOM: it was "not valid TOML (Invalid statement)"
    plain = load_spec(write_spec())
    with_bom = tmp_path / "bom.toml"
    with_bom.write_bytes(b"\xef\xbb\xbf" + SPEC_TOML.encode())
    assert load_spec(with_bom).digest() == plain.digest()


def test_a_string_where_a_list_goes_says_list(write_spec):
    # "drivers.extra: Input should be a valid tuple" named a Python type, not a TOML one
    data = base_data()
    data["drivers"]["extra"] = "vendor"
    with pytest.raises(ConfigError) as info:
        load_spec(write_spec(data))
    assert "drivers.extra: should be a list ([...]), not str" in info.value.message


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("disk", "size_gib", 10**30),
        ("build", "cpus", -1),
        ("build", "memory_mib", 10**12),
        ("publish", "min_ram_mib", 2**31),
        ("publish", "min_disk_gib", 2**40),
        ("source", "edition", "Windows Server 2022 \u00e9dition"),
        ("source", "edition", "Windows\x00Server 2022"),
        ("locale", "time_zone", "W. Europe Standard Time\n"),
        ("locale", "ui_language", "fr-FR\u200b"),
    ],
)
def test_out_of_range_and_non_ascii_values_are_named(tmp_path, section, key, value):
    # publish.min_ram_mib = 10**40 was accepted: Glance stores it in a 32-bit column
    data = base_data()
    data[section][key] = value
    path = tmp_path / "spec.toml"
    path.write_text(_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert f"{section}.{key}" in info.value.message


def _dump(data: dict) -> str:
    """TOML with JSON's string escapes (valid TOML basic strings), for control characters."""
    lines = []
    for name, body in data.items():
        lines.append(f"[{name}]")
        for key, value in body.items():
            if isinstance(value, dict) and key != "properties":
                continue
            lines.append(f"{key} = {_value(value)}")
        for key, value in body.items():
            if isinstance(value, dict) and key != "properties":
                lines.append(f"[{name}.{key}]")
                lines += [f"{k} = {_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


@pytest.mark.parametrize(
    ("where", "value", "key"),
    [
        ("name", "Windows\u0000Server", "publish.name"),
        ("name", "Windows\nServer", "publish.name"),
        ("value", "a\u0000b", "publish.properties.'owner_team'"),
        ("key", "a\tb", "publish.properties.'a\\tb'"),
    ],
)
def test_control_characters_in_what_glance_stores_are_refused(tmp_path, where, value, key):
    # accepted at load, then sent to Glance (PostgreSQL refuses NUL in text)
    data = base_data()
    if where == "name":
        data["publish"]["name"] = value
    elif where == "value":
        data["publish"]["properties"] = {"owner_team": value}
    else:
        data["publish"]["properties"] = {value: "x"}
    path = tmp_path / "spec.toml"
    path.write_text(_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_spec(path)
    assert f"{key}: a control character" in info.value.message


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("agent.msi", "a" * 5000, "a path longer than Linux allows"),
        ("agent.msi", "dist/" + "b" * 300 + ".msi", "a path longer than Linux allows"),
        ("drivers.virtio_win_iso", "virtio\u0000.iso", "a path cannot hold a NUL character"),
        ("licensing.mode", "file:" + "k" * 300, "a path longer than Linux allows"),
    ],
)
def test_paths_the_system_cannot_open_are_named_at_load(tmp_path, key, value, problem):
    # a 300-byte name was an OSError (File name too long) traceback in check --require-files
    data = base_data()
    section, name = key.split(".")
    data[section][name] = value
    path = tmp_path / "spec.toml"
    path.write_text(_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_spec(path).require_files()
    assert f"{key}: {problem}" in info.value.message
