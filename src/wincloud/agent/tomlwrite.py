"""A TOML writer for the agent config's types only: strings, booleans, integers, floats, lists
of those, and one level of tables. (tomli-w is not a dependency; this is all we need.) The
output reads back with ``tomllib`` to the same data. ``write_atomic`` puts it in a file."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from wincloud.errors import ConfigError
from wincloud.platform.atomic import write_file

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
WIDTH: Final = 100
"""Longer lists are written one item per line."""
_ESCAPES: Final = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def render_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else render_string(key)


def render_string(text: str) -> str:
    """A literal string ('C:\\path') when that needs no escape and has a backslash or a quote,
    else a basic string with TOML's escapes."""
    if ("\\" in text or '"' in text) and "'" not in text and not _CONTROL.search(text):
        return f"'{text}'"
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif _CONTROL.fullmatch(char):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"no TOML for {value!r} here")
        return repr(value)
    if isinstance(value, str):
        return render_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _comment(text: str) -> str:
    return "# " + _CONTROL.sub(" ", text) if text else "#"


def _entry(key: str, value: Any, comment: str | None) -> str:
    line = f"{render_key(key)} = {render_value(value)}"
    tail = f"  {_comment(comment)}" if comment else ""
    if len(line + tail) <= WIDTH or not isinstance(value, list | tuple) or not value:
        return line + tail
    items = "".join(f"    {render_value(item)},\n" for item in value)
    return f"{render_key(key)} = [{tail}\n{items}]"


def render_toml(
    data: Mapping[str, Any],
    *,
    header: Sequence[str] = (),
    comments: Mapping[str, str] | None = None,
) -> str:
    """``data``'s plain keys first, then its tables; ``header`` lines become comments at the
    top, ``comments`` (dotted key -> text) end-of-line comments."""
    notes = comments or {}
    lines = [_comment(text) for text in header]
    plain = [(k, v) for k, v in data.items() if not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    if lines and plain:
        lines.append("")
    lines += [_entry(key, value, notes.get(key)) for key, value in plain]
    for name, table in tables:
        if lines:
            lines.append("")
        lines.append(f"[{render_key(name)}]")
        for key, value in table.items():
            if isinstance(value, Mapping):
                raise TypeError(f"nested table {name}.{key}: not supported")
            lines.append(_entry(key, value, notes.get(f"{name}.{key}")))
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8, mode 0644) beside ``path`` and rename it over
    (``platform.atomic``): a reader sees the old file or the new one, never a part."""
    data = text.encode("utf-8")
    try:
        write_file(path, data, mode=0o644)
    except OSError as exc:
        raise ConfigError(f"cannot write ({exc.strerror})", subject=str(path)) from None
