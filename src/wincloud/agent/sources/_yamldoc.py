"""YAML documents the sources read (NoCloud's ``meta-data`` and ``network-config``, VMware's
guestinfo ``metadata``, which may be JSON: JSON is YAML): UTF-8 text through the agent's
bounded parser (``wincloud.agent.bounded.parse_yaml``, which bounds the events, the aliases,
base-60 runs, the scalars PyYAML cannot build and the integers), every failure an
InvalidMetadata naming the document."""

from __future__ import annotations

from typing import Any

from wincloud.errors import InvalidMetadata


def parse_document(raw: bytes, *, subject: str, what: str = "YAML") -> Any:
    """The document as Python values; InvalidMetadata for anything that is not a bounded,
    well-formed YAML document of plain values."""
    import yaml

    from wincloud.agent.bounded import parse_yaml

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMetadata(f"not valid {what} (not UTF-8)", subject=subject) from None
    try:
        return parse_yaml(text, subject=subject, what=what)
    except yaml.YAMLError as exc:
        raise InvalidMetadata(
            f"not valid {what} ({exc.__class__.__name__})", subject=subject
        ) from None
