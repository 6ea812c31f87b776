"""oslo.config's INI dialect as cloudbase-init.conf uses it, read with line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from wincloud.agent.ini import IniValue, parse_ini, read_ini
from wincloud.errors import ConfigError

WHERE = Path("cloudbase-init.conf")


def test_sections_options_and_their_lines():
    ini = parse_ini("[DEFAULT]\n# c\nUserName = Admin\n\n[OpenStack]\nurl: http://x/\n", WHERE)
    assert ini == {
        "DEFAULT": {"username": IniValue("Admin", 3)},
        "openstack": {"url": IniValue("http://x/", 6)},
    }


def test_indented_lines_continue_the_value_from_its_first_line():
    ini = parse_ini("[DEFAULT]\nplugins = a.B,\n    c.D,\n\tE.f\nx = 1\n", WHERE)
    assert ini["DEFAULT"]["plugins"] == IniValue("a.B,\nc.D,\nE.f", 2)
    assert ini["DEFAULT"]["x"] == IniValue("1", 5)


@pytest.mark.parametrize(("raw", "value"), [('"a b"', "a b"), ("'x'", "x"), ('"', '"'), ("", "")])
def test_matching_quotes_around_a_value_are_removed(raw, value):
    assert parse_ini(f"[DEFAULT]\nk = {raw}\n", WHERE)["DEFAULT"]["k"].value == value


def test_the_first_separator_splits_so_windows_paths_survive():
    ini = parse_ini("[DEFAULT]\nlogdir=C:\\log\\\nk: D:\\x=y\n", WHERE)
    assert ini["DEFAULT"]["logdir"].value == "C:\\log\\"
    assert ini["DEFAULT"]["k"].value == "D:\\x=y"


def test_a_repeated_option_keeps_the_last_value_and_its_line():
    assert parse_ini("[DEFAULT]\nk=1\nk=2\n", WHERE)["DEFAULT"]["k"] == IniValue("2", 3)


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("k = v\n", 1, "[DEFAULT]"),
        ("[DEFAULT]\nplugins=a.B,\nc.D\n", 3, "indented"),
        ("[DEFAULT]\n[]\n", 2, "[DEFAULT]"),
        ("[DEFAULT]\n= value\n", 2, "[DEFAULT]"),
        ("\n# nothing\n", 1, "[DEFAULT]"),
    ],
)
def test_what_is_not_ini_is_refused_with_its_line(text, line, hint):
    with pytest.raises(ConfigError) as info:
        parse_ini(text, WHERE)
    assert info.value.subject == f"{WHERE}:{line}"
    assert hint in (info.value.hint or "")


def test_a_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "c.conf"
    path.write_bytes(b"\xef\xbb\xbf[DEFAULT]\nk=v\n")
    assert read_ini(path)["DEFAULT"]["k"].value == "v"
