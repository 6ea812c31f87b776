"""The small TOML writer: whatever it writes reads back with tomllib to the same data."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import umask
from wincloud.agent.tomlwrite import render_string, render_toml, write_atomic
from wincloud.errors import ConfigError

scalars = st.one_of(
    st.text(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
keys = st.text(min_size=1, max_size=12)
tables = st.dictionaries(keys, st.one_of(scalars, st.lists(st.text(), max_size=4)), max_size=5)


@given(st.text())
def test_any_string_round_trips(text):
    assert tomllib.loads(f"x = {render_string(text)}\n") == {"x": text}


@given(
    st.dictionaries(keys, st.one_of(scalars, st.lists(st.text(), max_size=4)), max_size=5),
    st.dictionaries(keys, tables, max_size=3),
)
def test_documents_round_trip(plain, nested):
    data = {**plain, **{k: v for k, v in nested.items() if k not in plain}}
    assert tomllib.loads(render_toml(data, header=["a\nb", ""], comments={"x": "c\rd"})) == data


def test_windows_paths_are_written_as_literal_strings():
    assert render_string("C:\\Program Files\\wincloud") == "'C:\\Program Files\\wincloud'"


def test_keys_that_are_not_bare_are_quoted():
    assert render_toml({"a b": 1}) == '"a b" = 1\n'


def test_comments_follow_their_keys():
    text = render_toml({"t": {"k": True}}, header=["top"], comments={"t.k": "from k"})
    assert text == "# top\n\n[t]\nk = true  # from k\n"


@pytest.mark.parametrize("value", [float("inf"), {"deep": {"er": 1}}, object()])
def test_values_outside_our_types_are_refused(value):
    with pytest.raises((TypeError, ValueError)):
        render_toml({"t": {"x": value}} if isinstance(value, dict) else {"x": value})


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "agent.toml"
    target.write_text("old")
    write_atomic(target, "new = 1\n")
    assert target.read_text() == "new = 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["agent.toml"]


def test_write_atomic_into_a_missing_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "agent.toml", "x = 1\n")


def test_write_atomic_gives_mode_0644_whatever_the_umask(tmp_path):
    target = tmp_path / "agent.toml"
    with umask(0o077):
        write_atomic(target, "x = 1\n")
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_ctrl_c_during_write_atomic_keeps_the_old_file_and_no_temporary(tmp_path, ctrl_c_at_fsync):
    target = tmp_path / "agent.toml"
    target.write_text("old = 1\n")
    ctrl_c_at_fsync()
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new = 1\n")
    assert target.read_text() == "old = 1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["agent.toml"]


def test_a_long_list_is_written_one_item_per_line():
    names = [f"plugin_{i}" for i in range(12)]
    text = render_toml({"plugins": names}, comments={"plugins": "plugins"})
    assert text.splitlines()[0] == "plugins = [  # plugins"
    assert '    "plugin_0",' in text.splitlines()
    assert tomllib.loads(text) == {"plugins": names}
