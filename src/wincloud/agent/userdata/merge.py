"""Several ``#cloud-config`` parts become one document, by cloud-init's merge rules.

The rules (cloud-init 22.4's, read from its documentation and behaviour, not its code):

* Parts merge in order into an empty mapping. A part chooses how it merges over what came
  before with a ``merge_how`` (or ``merge_type``) key, or a MIME ``Merge-Type`` (or
  ``X-Merge-Type``) header; without either, ``dict(replace)+list()+str()``: each top-level key
  of the later part replaces the earlier value whole.
* A spec is a ``+``-joined string, ``list(append)+dict(no_replace,recurse_list)+str()``, or a
  list of ``{name, settings}`` mappings (or ``[name, setting, ...]`` lists). Each merger
  handles the type of the value already there: ``dict`` for mappings, ``list`` for lists,
  ``str`` for strings; a value no listed merger handles is kept as it was (so a part whose
  spec names no ``dict`` merger adds nothing at the top).
* ``dict``: ``replace`` (a key present in both takes the new value) or ``no_replace`` (the
  default: the old value stays, except that mappings always merge recursively, and lists or
  strings do with ``recurse_list``/``recurse_array`` or ``recurse_str``); ``allow_delete``: a
  new ``null`` removes the key.
* ``list``: ``replace`` (the default: position by position, the new item wins, the longer
  tail stays; a new value that is not a list replaces the list), ``append``, ``prepend``, or
  ``no_replace`` (position by position, the old item stays); ``recurse_dict``,
  ``recurse_list``/``recurse_array``, ``recurse_str`` merge items of those types instead.
* ``str``: the new string replaces the old, or is appended with ``append``.

A part whose values cannot be merged this way (``str(append)`` meeting a mapping, a list
merged with ``append``, ``prepend`` or ``no_replace`` with something that is not a list) is
left out whole, with a warning, as cloud-init leaves it out. One difference: where cloud-init
would append a string's characters or a mapping's keys to a list, the part is left out too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Final

from msgspec import Struct

from wincloud.errors import InvalidMetadata

log = logging.getLogger(__name__)

DEFAULT_SPEC: Final = "dict(replace)+list()+str()"
SPEC_KEYS: Final = ("merge_how", "merge_type")
MERGE_HEADERS: Final = ("Merge-Type", "X-Merge-Type")
_SPEC_ITEM: Final = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((.*?)\)")
_KINDS: Final = frozenset({"dict", "list", "str"})


class Merger(Struct, frozen=True):
    kind: str
    """dict, list or str."""
    options: frozenset[str]

    def method(self, choices: Sequence[str], default: str) -> str:
        return next((c for c in choices if c in self.options), default)


Spec = tuple[Merger, ...]


def parse_spec(value: Any, where: str) -> Spec:
    """A ``merge_how`` value or a ``Merge-Type`` header as mergers, in order."""
    items: list[tuple[str, list[str]]] = []
    if isinstance(value, str):
        for chunk in (c.strip() for c in value.split("+")):
            match = _SPEC_ITEM.fullmatch(chunk)
            if not match:
                raise InvalidMetadata(
                    f"merge spec item {chunk[:40]!r} is not name(options)", subject=where
                )
            options = [o.strip().lower() for o in match.group(2).split(",") if o.strip()]
            items.append((match.group(1), options))
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                settings = entry.get("settings", [])
                if not isinstance(settings, list) or not all(isinstance(s, str) for s in settings):
                    raise InvalidMetadata("merge settings must be a list of strings", subject=where)
                items.append((entry["name"], [s.strip().lower() for s in settings]))
            elif isinstance(entry, list) and entry and all(isinstance(s, str) for s in entry):
                items.append((entry[0], [s.strip().lower() for s in entry[1:]]))
            else:
                raise InvalidMetadata(
                    "merge_how items are {name, settings} mappings or [name, ...] lists",
                    subject=where,
                )
    else:
        raise InvalidMetadata("merge_how must be a string or a list", subject=where)
    mergers: list[Merger] = []
    for name, options in items:
        kind = name.replace("-", "_").strip().lower()
        if kind not in _KINDS:
            raise InvalidMetadata(f"unknown merger {name!r} (dict, list, str)", subject=where)
        mergers.append(Merger(kind, frozenset(options)))
    return tuple(mergers)


DEFAULT: Final = parse_spec(DEFAULT_SPEC, "default")


class MergeError(Exception):
    """Two values that the part's mergers cannot combine: the part is left out."""


def merge_documents(
    parts: Sequence[tuple[dict[str, Any], Spec | None]], *, names: Sequence[str] = ()
) -> dict[str, Any]:
    """Merge the parsed parts (each with its spec, None for the default) in order."""
    merged: dict[str, Any] = {}
    for index, (doc, spec) in enumerate(parts):
        body = {k: v for k, v in doc.items() if k not in SPEC_KEYS}
        try:
            result = merge(merged, body, spec or DEFAULT)
        except MergeError as exc:
            name = names[index] if index < len(names) else f"part {index + 1}"
            log.warning("cloud-config part not merged name=%s reason=%s", name, exc)
            continue
        merged = result if isinstance(result, dict) else merged
    return merged


def merge(old: Any, new: Any, spec: Spec) -> Any:
    kind = "dict" if isinstance(old, dict) else "list" if isinstance(old, list | tuple) else None
    kind = kind or ("str" if isinstance(old, str) else None)
    merger = next((m for m in spec if m.kind == kind), None)
    if merger is None:
        return old
    if kind == "dict":
        return _dict(merger, old, new, spec)
    if kind == "list":
        return _list(merger, list(old), new, spec)
    if "append" not in merger.options:
        return new
    if not isinstance(new, str):
        raise MergeError(f"str(append) cannot append a {type(new).__name__}")
    return old + new


def _recurse(merger: Merger, old: Any, new: Any, spec: Spec, *, dicts: bool) -> Any | None:
    """The recursive merge of one value when the merger's options ask for it, else None."""
    arrays = bool({"recurse_array", "recurse_list"} & merger.options)
    if isinstance(new, list | tuple) and arrays:
        return merge(old, new, spec)
    if isinstance(new, str) and "recurse_str" in merger.options:
        return merge(old, new, spec)
    if isinstance(new, dict) and dicts:
        return merge(old, new, spec)
    return None


def _dict(merger: Merger, old: dict[str, Any], new: Any, spec: Spec) -> dict[str, Any]:
    if not isinstance(new, dict):
        return old
    replace = merger.method(("replace", "no_replace"), "no_replace") == "replace"
    out = dict(old)
    for key, value in new.items():
        if key not in out:
            out[key] = value
        elif value is None and "allow_delete" in merger.options:
            del out[key]
        elif replace:
            out[key] = value
        else:
            merged = _recurse(merger, out[key], value, spec, dicts=True)
            out[key] = out[key] if merged is None else merged
    return out


def _list(merger: Merger, old: list[Any], new: Any, spec: Spec) -> Any:
    method = merger.method(("append", "prepend", "replace", "no_replace"), "replace")
    if not isinstance(new, list | tuple):
        if method == "replace":
            return new
        if method == "no_replace" and _keeps(old, new):
            return old
        raise MergeError(f"list({method}) cannot merge a {type(new).__name__}")
    if method == "append":
        return [*old, *new]
    if method == "prepend":
        return [*new, *old]
    out = list(old)
    for index in range(min(len(out), len(new))):
        if method == "no_replace":
            continue
        dicts = "recurse_dict" in merger.options
        merged = _recurse(merger, out[index], new[index], spec, dicts=dicts)
        out[index] = new[index] if merged is None else merged
    return out


def _keeps(old: list[Any], new: Any) -> bool:
    """``list(no_replace)`` with a string, or a mapping holding keys 0..n-1 for the n
    positions both have: every position keeps its old item (cloud-init indexes the new value)."""
    if isinstance(new, str):
        return True
    return isinstance(new, dict) and all(i in new for i in range(min(len(old), len(new))))
