"""Pure typed data: the instance record and Nova's network_data (no I/O here but file parsing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wincloud.errors import ConfigError
from wincloud.model.instance import InjectedFile, Instance, load_stored_instance, parse_instance
from wincloud.model.network import Link, Network, NetworkData, Route, Service

__all__ = [
    "InjectedFile",
    "Instance",
    "Link",
    "Network",
    "NetworkData",
    "Route",
    "Service",
    "load_instance_file",
    "load_stored_instance",
    "parse_document_text",
    "parse_instance",
    "parse_instance_text",
    "read_instance_text",
    "yaml_loader",
]


def parse_instance_text(text: str, *, source: str) -> Instance:
    """YAML or JSON text (JSON is YAML) -> Instance."""
    return parse_instance(parse_document_text(text, source=source), source=source)


class _NotJson(Exception):
    """A JSON document holds NaN or Infinity (Python's json takes them; JSON has none)."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def yaml_loader() -> type[Any]:
    """The YAML loader records are read with: libyaml's CSafeLoader when PyYAML has it
    (several times faster on large records), the pure-Python SafeLoader otherwise."""
    import yaml

    loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def parse_document_text(text: str, *, source: str) -> Any:
    """YAML or JSON text -> the data in it, unvalidated (for callers that adjust a record
    before ``parse_instance``); ConfigError naming ``source`` and the line otherwise."""
    import yaml

    try:
        data: Any = json.loads(text, parse_constant=_refuse_constant)
    except _NotJson as exc:
        raise ConfigError(
            f"{exc} is not a JSON number",
            subject=source,
            hint="JSON has no NaN or Infinity: give a number, a string or null",
        ) from None
    except ValueError:
        try:
            data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise ConfigError(
                f"not valid YAML or JSON{where}",
                subject=source,
                hint="check the file's syntax",
            ) from None
    return data


def read_instance_text(path: Path, *, hint: str = "give a readable UTF-8 YAML or JSON file") -> str:
    """The text of an instance file; a ConfigError naming the file and why (the system's
    words, e.g. "No such file or directory", or where the text stops being UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        why = f"not UTF-8: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    except OSError as exc:
        why = exc.strerror or exc.__class__.__name__
    raise ConfigError(f"cannot read instance file ({why})", subject=str(path), hint=hint)


def load_instance_file(path: Path) -> Instance:
    return parse_instance_text(read_instance_text(path), source=str(path))
