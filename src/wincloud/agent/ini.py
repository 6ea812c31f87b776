"""oslo.config's INI dialect, as cloudbase-init.conf uses it, read with line numbers so that
every error and every converted option can name its line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from msgspec import Struct

from wincloud.errors import ConfigError

DEFAULT: Final = "DEFAULT"
_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_LIST_ITEM = re.compile(r"[\w.]+,?")


class IniValue(Struct, frozen=True):
    value: str
    line: int


IniFile = dict[str, dict[str, IniValue]]
"""Section name (``DEFAULT`` as written, others lower-cased) -> option -> value."""


def _not_ini(path: Path, line: int, reason: str, hint: str | None = None) -> ConfigError:
    return ConfigError(
        f"not a cloudbase-init.conf INI file ({reason})",
        subject=f"{path}:{line}",
        hint=hint or "give the cloudbase-init.conf file, which starts with a [DEFAULT] section",
    )


def parse_ini(text: str, path: Path) -> IniFile:
    """oslo.config's INI dialect: ``[section]``, ``key = value`` or ``key: value``, ``#``/``;``
    comment lines, indented continuation lines, optional quotes around a value; a key set
    twice keeps its last value. Anything else is a ConfigError naming the line."""
    sections: IniFile = {}
    current: dict[str, IniValue] | None = None
    last: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and current is not None and last is not None:
            previous = current[last]
            current[last] = IniValue(f"{previous.value}\n{stripped}", previous.line)
            continue
        if stripped.startswith("["):
            name = stripped[1:-1].strip() if stripped.endswith("]") else ""
            if not _KEY.fullmatch(name):
                raise _not_ini(path, number, "a malformed [section] line")
            current = sections.setdefault(name if name == DEFAULT else name.lower(), {})
            last = None
            continue
        cut = min((i for i in (stripped.find("="), stripped.find(":")) if i > 0), default=-1)
        key = stripped[:cut].strip().lower() if cut > 0 else ""
        if not _KEY.fullmatch(key):
            raise _not_ini(
                path,
                number,
                "neither [section], key = value, nor an indented continuation",
                "continuation lines of a list must be indented"
                if current is not None and _LIST_ITEM.fullmatch(stripped)
                else None,
            )
        if current is None:
            raise _not_ini(path, number, "an option before any [section]")
        value = stripped[cut + 1 :].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        current[key] = IniValue(value, number)
        last = key
    if not sections:
        raise _not_ini(path, 1, "no [section] at all")
    return sections


def read_ini(path: Path) -> IniFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", subject=str(path)) from None
    if b"\0" in raw:
        raise _not_ini(path, raw[: raw.index(b"\0")].count(b"\n") + 1, "binary data")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _not_ini(path, line, "not UTF-8 text", "save the file as UTF-8") from None
    return parse_ini(text, path)
