"""``.reg`` files (regedit 5 / hivexregedit format) parsed and applied to offline hives.

Supported: ``[key]`` and ``[-key]`` (delete), ``"name"=...`` and ``@=...`` with ``"text"``,
``dword:``, ``hex:``, ``hex(N):`` (any type, e.g. ``hex(2)`` expand, ``hex(7)`` multi, ``hex(b)``
qword), ``=-`` (delete), ``\\`` line continuations and ``;`` comments. Keys must be under
``HKEY_LOCAL_MACHINE\\SOFTWARE`` or ``HKEY_LOCAL_MACHINE\\SYSTEM`` (``CurrentControlSet`` maps to
the hive's current control set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wincloud.errors import ConfigError
from wincloud.image.disk.hive import Hive, RegType, RegValue
from wincloud.image.infile import read_regular

MAX_REG_BYTES: Final = 64 << 20
"""A .reg file for two hives; regedit's export of a whole SOFTWARE hive is about this size."""
_ROOTS: Final = ("HKEY_LOCAL_MACHINE", "HKLM")
_HEX_TYPE = re.compile(r"^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$", re.S)


@dataclass(frozen=True)
class RegEdit:
    hive: str  # SOFTWARE | SYSTEM
    key: str  # path inside the hive
    name: str | None  # None: the key itself
    value: RegValue | None  # None: delete (the value, or the key when name is None)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending:
            start = number
        if line.endswith("\\") and not line.startswith("["):
            pending += line[:-1]
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _unquote(text: str, where: str) -> tuple[str, str]:
    """Split a leading quoted string off ``text``: (string, rest)."""
    if not text.startswith('"'):
        raise ConfigError("expected a quoted string", subject=where)
    out = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), text[i + 1 :]
        out.append(char)
        i += 1
    raise ConfigError("unterminated string", subject=where)


def _value(data: str, where: str) -> RegValue | None:
    data = data.strip()
    if data == "-":
        return None
    if data.startswith('"'):
        text, rest = _unquote(data, where)
        if rest.strip():
            raise ConfigError("text after a string value", subject=where)
        return RegValue.sz(text)
    if data.lower().startswith("dword:"):
        digits = data[6:].strip()
        if not re.fullmatch(r"[0-9a-fA-F]{1,8}", digits):
            raise ConfigError("bad dword (1 to 8 hex digits)", subject=where)
        return RegValue.dword(int(digits, 16))
    match = _HEX_TYPE.match(data)
    if match:
        kind = int(match.group(1), 16) if match.group(1) else int(RegType.BINARY)
        if kind > 0xFFFFFFFF:
            raise ConfigError("bad value type in hex(N): (at most 8 hex digits)", subject=where)
        body = match.group(2).replace(" ", "").strip(",")
        try:
            raw = bytes(int(b, 16) for b in body.split(",")) if body else b""
        except ValueError:
            raise ConfigError("bad hex bytes", subject=where) from None
        return RegValue(kind, raw)
    raise ConfigError(
        'unknown value format (want "text", dword:, hex:, hex(N): or -)', subject=where
    )


def _split_root(path: str, where: str) -> tuple[str, str]:
    parts = [p for p in path.split("\\") if p]
    if len(parts) < 2 or parts[0].upper() not in _ROOTS:
        raise ConfigError(
            "keys must be under HKEY_LOCAL_MACHINE\\SOFTWARE or \\SYSTEM", subject=where
        )
    hive = parts[1].upper()
    if hive not in ("SOFTWARE", "SYSTEM"):
        raise ConfigError(f"hive {parts[1]} is not supported (SOFTWARE, SYSTEM)", subject=where)
    return hive, "\\".join(parts[2:])


def read_reg(path: Path) -> list[RegEdit]:
    """The edits of a .reg file: UTF-16 with its byte-order mark (as regedit exports), else
    UTF-8 (as hivexregedit writes)."""
    try:
        raw = read_regular(path, limit=MAX_REG_BYTES)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the .reg file ({exc.strerror})", subject=str(path)
        ) from None
    except ValueError as exc:
        raise ConfigError(f"the .reg file is {exc}", subject=str(path)) from None
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise ConfigError(
            f"the .reg file is not {encoding.upper().removesuffix('-SIG')} text",
            subject=str(path),
            hint="save it as UTF-8, or as UTF-16 with a byte-order mark (regedit's export)",
        ) from None
    return parse_reg(text, subject=str(path))


def parse_reg(text: str, *, subject: str) -> list[RegEdit]:
    """The edits a .reg file asks for, in file order."""
    text = text.lstrip("\ufeff")
    lines = _logical_lines(text)
    if not lines or not lines[0][1].startswith(
        ("Windows Registry Editor Version 5.00", "REGEDIT4")
    ):
        raise ConfigError(
            "not a .reg file (no 'Windows Registry Editor Version 5.00' header)", subject=subject
        )
    edits: list[RegEdit] = []
    current: tuple[str, str] | None = None
    for number, line in lines[1:]:
        where = f"{subject}:{number}"
        if not line or line.startswith(";"):
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise ConfigError("unterminated key line", subject=where)
            inner = line[1:-1]
            if inner.startswith("-"):
                hive, key = _split_root(inner[1:], where)
                _refuse_vital_delete(hive, key, where)
                edits.append(RegEdit(hive, key, None, None))
                current = None
            else:
                current = _split_root(inner, where)
                edits.append(RegEdit(current[0], current[1], None, RegValue(0, b"")))
            continue
        if current is None:
            raise ConfigError("a value outside a key section", subject=where)
        if line.startswith("@"):
            name, rest = "", line[1:]
        else:
            name, rest = _unquote(line, where)
        if not rest.lstrip().startswith("="):
            raise ConfigError("expected '=' after the value name", subject=where)
        edits.append(RegEdit(current[0], current[1], name, _value(rest.lstrip()[1:], where)))
    return edits


_CONTROL_SET: Final = re.compile(r"(?i)(?:CurrentControlSet|ControlSet\d{3})")
_VITAL_SOFTWARE: Final = frozenset({"microsoft", "classes"})
_VITAL_SYSTEM: Final = frozenset({"select", "mounteddevices"})
_VITAL_IN_CONTROL_SET: Final = frozenset({"control", "services", "enum"})


def _refuse_vital_delete(hive: str, key: str, where: str) -> None:
    """A ``[-...]`` line that would leave Windows unbootable: a hive's root, a control set,
    its Control, Services or Enum key, SYSTEM\\Select or MountedDevices, SOFTWARE\\Microsoft
    or Classes. Deleting their subkeys is fine."""
    parts = [p.lower() for p in key.split("\\") if p]
    vital = not parts
    if hive == "SOFTWARE" and len(parts) == 1:
        vital = parts[0] in _VITAL_SOFTWARE
    elif hive == "SYSTEM" and len(parts) == 1:
        vital = parts[0] in _VITAL_SYSTEM or bool(_CONTROL_SET.fullmatch(parts[0]))
    elif hive == "SYSTEM" and len(parts) == 2 and _CONTROL_SET.fullmatch(parts[0]):
        vital = parts[1] in _VITAL_IN_CONTROL_SET
    if vital:
        shown = "HKEY_LOCAL_MACHINE\\" + "\\".join([hive, *key.split("\\")]).rstrip("\\")
        raise ConfigError(
            f"refusing to delete {shown}: Windows would not boot without it",
            subject=where,
            hint="delete the subkeys you mean instead",
        )


def map_key(key: str, hive_name: str, control_set: str) -> str:
    if hive_name == "SYSTEM":
        head, _, rest = key.partition("\\")
        if head.lower() == "currentcontrolset":
            return f"{control_set}\\{rest}" if rest else control_set
    return key


def apply_reg(edits: list[RegEdit], hives: dict[str, Hive], control_set: str) -> bool:
    """Apply edits to open writable hives; True when any hive changed."""
    changed = False
    for edit in edits:
        hive = hives[edit.hive]
        key = map_key(edit.key, edit.hive, control_set)
        if edit.name is None:
            changed |= hive.delete_key(key) if edit.value is None else hive.ensure_key(key)
        elif edit.value is None:
            changed |= hive.delete_value(key, edit.name)
        else:
            changed |= hive.set_value(key, edit.name, edit.value)
    return changed
