"""Record-wide checks, and every problem with the path the user wrote.

Pydantic checks each field's type and format. What it cannot check field by field lives here,
on the document as given, so that every problem of a record is reported at once, each with its
path (``public_keys.mykey``, ``network_data.links[2].vlan_link``):

* strings that no store or guest takes: NUL (PostgreSQL refuses it in JSON, SQLite keeps it),
  lone surrogates (not Unicode text); NaN and Infinity (not JSON); in the free-form parts
  (``vendor_data``, ``devices``, ``network_data``) only JSON values (no YAML dates or binary);
* references between fields: ``password_key`` names an RSA key of ``public_keys``; link and
  network ids are unique and referred to only where they exist.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import ValidationError

PathPart = str | int
Path = tuple[PathPart, ...]
Problem = tuple[Path, str]

MAX_DEPTH: Final = 64
MAX_NODES: Final = 1_000_000
FREE_FORM: Final = frozenset({"vendor_data", "devices", "network_data"})
# A loc part pydantic adds for itself (validator and union member names), never a user's key.
_INTERNAL: Final = re.compile(r"[\[\](),=]")
_PLAIN_KEY: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# ctx keys a validator sets to point at the field it is about: ``path`` replaces the last
# ``up`` parts of the error's location.
CTX_PATH: Final = "wincloud_path"
CTX_UP: Final = "wincloud_up"


def format_path(path: Iterable[PathPart]) -> str:
    """``("network_data", "links", 2, "mtu")`` -> ``network_data.links[2].mtu``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += ("." if out else "") + part
        else:  # quoted: keeps the line one line whatever the key holds
            out += "[" + json.dumps(part[:60] + ("..." if len(part) > 60 else "")) + "]"
    return out or "(record)"


# -- values --------------------------------------------------------------------------------


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character (give binary data as *_base64)"
    if not text.isascii() and _SURROGATE.search(text):
        return "is not valid Unicode text (a lone surrogate)"
    return None


_CONTAINERS: Final = (Mapping, list, tuple, set, frozenset)


class _Walk:
    """One pass over a document; the path is a stack, made a tuple only for a problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.nodes = 0
        self.path: list[PathPart] = []

    def report(self, message: str) -> None:
        self.problems.append((tuple(self.path), message))

    def value(self, value: Any, *, json_only: bool, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        kind = type(value)
        if kind is str:
            if "\x00" in value or not value.isascii():
                problem = _string_problem(value)
                if problem:
                    self.report(problem)
        elif kind is int or kind is bool or value is None:
            return
        elif kind is float:
            if not math.isfinite(value):
                self.report("NaN and Infinity are not JSON numbers")
        elif kind is dict or kind is list or isinstance(value, _CONTAINERS):
            if depth >= MAX_DEPTH:
                self.report(f"nested deeper than {MAX_DEPTH} levels")
                return
            self.container(value, json_only=json_only, depth=depth + 1)
        elif isinstance(value, str):  # a str subclass, from a Python caller
            self.value(str(value), json_only=json_only, depth=depth)
        elif isinstance(value, float):
            self.value(float(value), json_only=json_only, depth=depth)
        elif isinstance(value, int):
            return
        elif json_only:
            what = kind.__name__
            hint = " (a YAML date or time? quote it)" if "date" in what or "time" in what else ""
            self.report(f"a {what} is not a JSON value{hint}")

    def container(self, value: Any, *, json_only: bool, depth: int) -> None:
        path = self.path
        if type(value) is dict or isinstance(value, Mapping):
            top = not path
            for key, item in value.items():
                path.append(key if isinstance(key, str) else str(key))
                if isinstance(key, str):
                    problem = _string_problem(key) if "\x00" in key or not key.isascii() else None
                    if problem:
                        self.report(f"the name {problem}")
                elif json_only:
                    self.report("names are text: quote this one")
                free = json_only or (top and key in FREE_FORM)
                self.value(item, json_only=free, depth=depth)
                path.pop()
        elif json_only and not isinstance(value, list):
            self.report(f"a {type(value).__name__} is not a JSON value")
        else:
            for index, item in enumerate(value):
                path.append(index)
                self.value(item, json_only=json_only, depth=depth)
                path.pop()


class _TooBig(Exception):
    pass


def value_problems(data: Mapping[str, Any]) -> list[Problem]:
    """NUL, lone surrogates, NaN/Infinity anywhere; non-JSON values in the free-form parts.
    Bounded: at most MAX_NODES values and MAX_DEPTH levels (YAML aliases can make cycles)."""
    walk = _Walk()
    try:
        walk.container(data, json_only=False, depth=0)
    except _TooBig:
        return [((), f"more than {MAX_NODES} values (YAML aliases?)")]
    return walk.problems


# -- references ------------------------------------------------------------------------------


def password_key_problems(data: Mapping[str, Any]) -> list[Problem]:
    name, keys = data.get("password_key"), data.get("public_keys")
    if not isinstance(name, str) or not isinstance(keys, Mapping):
        return []
    if name not in keys:
        known = ", ".join(repr(k) for k in list(keys)[:5]) or "none"
        return [(("password_key",), f"names no key of public_keys (they are: {known})")]
    key = keys[name]
    if isinstance(key, str) and not key.strip().startswith("ssh-rsa "):
        kind = key.split(maxsplit=1)[0][:40] if key.strip() else "empty"
        return [
            (
                ("password_key",),
                f"must name an ssh-rsa key (guests encrypt the password with RSA); "
                f"{name!r} is {kind!r}",
            )
        ]
    return []


def _ids(items: list[Any], where: Path) -> tuple[set[str], list[Problem]]:
    seen: dict[str, int] = {}
    problems: list[Problem] = []
    for index, item in enumerate(items):
        ident = item.get("id") if isinstance(item, Mapping) else None
        if not isinstance(ident, str):
            continue
        if ident in seen:
            first = format_path((*where, seen[ident]))
            problems.append(((*where, index, "id"), f"duplicate id {ident!r} (also {first})"))
        else:
            seen[ident] = index
    return set(seen), problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def network_problems(data: Mapping[str, Any]) -> list[Problem]:
    nd = data.get("network_data")
    if not isinstance(nd, Mapping):
        return []
    links, networks = _list(nd.get("links")), _list(nd.get("networks"))
    link_ids, problems = _ids(links, ("network_data", "links"))
    _, net_problems = _ids(networks, ("network_data", "networks"))
    problems += net_problems

    def refer(ref: Any, path: Path) -> None:
        if isinstance(ref, str) and ref not in link_ids:
            problems.append((path, f"refers to no link of network_data.links ({ref!r})"))

    for index, link in enumerate(links):
        if not isinstance(link, Mapping):
            continue
        refer(link.get("vlan_link"), ("network_data", "links", index, "vlan_link"))
        bonds = link.get("bond_links")
        for sub, ref in enumerate(bonds if isinstance(bonds, list) else []):
            refer(ref, ("network_data", "links", index, "bond_links", sub))
    for index, net in enumerate(networks):
        if isinstance(net, Mapping):
            refer(net.get("link"), ("network_data", "networks", index, "link"))
    return problems


def record_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Everything this module checks on one record document."""
    return value_problems(data) + password_key_problems(data) + network_problems(data)


# -- pydantic's errors, as the user wrote the record ----------------------------------------


def _indexes(container: Any, part: PathPart) -> bool:
    if isinstance(container, Mapping):
        return part in container
    return isinstance(container, list) and isinstance(part, int) and 0 <= part < len(container)


def _user_path(loc: tuple[PathPart, ...], data: Any, *, missing: bool) -> Path:
    """Keep the loc parts that index the input; drop validator and union member names."""
    if data is None:
        return tuple(p for p in loc if isinstance(p, int) or not _INTERNAL.search(p))
    path: list[PathPart] = []
    here: Any = data
    lost = False
    for index, part in enumerate(loc):
        if lost:
            if isinstance(part, int) or not _INTERNAL.search(part):
                path.append(part)
        elif _indexes(here, part):
            path.append(part)
            here = here[part]
        elif missing and index == len(loc) - 1 and isinstance(part, str):
            path.append(part)
        elif isinstance(part, str) and not _INTERNAL.search(part) and part != "[key]":
            path.append(part)  # a field the input spelled otherwise; keep it rather than lose it
            lost = True
    return tuple(path)


def _message(error: Mapping[str, Any], fields: Iterable[str] | None, path: Path) -> str:
    kind, msg = error["type"], str(error["msg"])
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(path[-1]), list(fields or ()), n=1) if path else []
        return "unknown field" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "missing":
        return "required"
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def error_problems(
    err: ValidationError, data: Any = None, *, fields: Iterable[str] | None = None
) -> list[Problem]:
    """Each of ``err``'s errors as (path as the user wrote it, message); ``data`` is the
    validated input (to tell its keys from pydantic's loc decorations), ``fields`` the
    top-level field names (to suggest one for a typo)."""
    problems: list[Problem] = []
    for error in err.errors(include_url=False):
        loc = tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if CTX_PATH in ctx:
            loc = loc[: len(loc) - int(ctx.get(CTX_UP, 0))] + tuple(ctx[CTX_PATH])
        path = _user_path(loc, data, missing=error["type"] == "missing")
        top = fields if len(path) == 1 else None
        problems.append((path, _message(error, top, path)))
    return problems


def merge(problems: Iterable[Problem]) -> list[tuple[str, str]]:
    """One entry per path (a union's members each fail: their messages are joined)."""
    merged: dict[str, list[str]] = {}
    for path, msg in problems:
        messages = merged.setdefault(format_path(path), [])
        if msg not in messages:
            messages.append(msg)
    return [(path, " or ".join(messages)) for path, messages in merged.items()]


def describe(problems: list[tuple[str, str]], *, limit: int = 50) -> str:
    """``path: message; path: message`` (at most ``limit``, then how many more)."""
    shown = "; ".join(f"{path}: {msg}" for path, msg in problems[:limit])
    more = len(problems) - limit
    return shown + (f"; and {more} more" if more > 0 else "")
