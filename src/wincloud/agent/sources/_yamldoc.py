"""YAML documents the sources read (NoCloud's ``meta-data`` and ``network-config``, VMware's
guestinfo ``metadata``, which may be JSON: JSON is YAML), through the agent's bounded parser,
with what that parser leaves to PyYAML's constructors bounded too.

PyYAML builds a scalar it has matched as a number or a date in plain Python: a date that
does not exist (``2024-02-30``) or ``!!timestamp x`` fails with ValueError or AttributeError,
an integer of more than 4,300 digits with ValueError; a YAML 1.1 base-60 integer
(``1:2:3:…``) is built group by group in quadratic time (160 KB of ``:1`` take 3 s, a 4 MiB
one half an hour), and a hexadecimal one of any size is built whole and fails later, wherever
something prints it. Here each is InvalidMetadata naming the document, and a base-60 run
longer than any real value (a MAC address has six groups) is refused before parsing.

The agent's parser measures the node graph once it is composed: a document of millions of
small nodes was composed whole first (4 MiB of ``[1,1,…]``: 19 s and 1 GB; a 16 MiB guestinfo
value: 78 s and 3.8 GB) to be refused after. A streaming pass over the parser's events (kept
one at a time) stops such a document at its ``MAX_NODES``-th node or ``MAX_DEPTH``-th level,
before anything is composed."""

from __future__ import annotations

import re
from typing import Any, Final

from wincloud.errors import InvalidMetadata

MAX_BASE60_GROUPS: Final = 32
_BASE60_RUN: Final = re.compile(rf"(?::[0-5]?[0-9]){{{MAX_BASE60_GROUPS + 1}}}")
MAX_INT_BITS: Final = 256
"""Integers in metadata are ports, MTUs, ids: 77 decimal digits is more than any of them."""


def parse_document(raw: bytes, *, subject: str, what: str = "YAML") -> Any:
    """The document as Python values; InvalidMetadata for anything that is not a bounded,
    well-formed YAML document of plain values."""
    import yaml

    from wincloud.agent.bounded import parse_yaml

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMetadata(f"not valid {what} (not UTF-8)", subject=subject) from None
    if _BASE60_RUN.search(text):
        raise InvalidMetadata(
            f"not valid {what} (a run of more than {MAX_BASE60_GROUPS} ':'-separated numbers)",
            subject=subject,
        )
    try:
        _prescan(text, subject, what)
        doc = parse_yaml(text, subject=subject)
    except yaml.YAMLError as exc:
        raise InvalidMetadata(
            f"not valid {what} ({exc.__class__.__name__})", subject=subject
        ) from None
    except (ValueError, AttributeError, OverflowError) as exc:
        # PyYAML's constructors on a scalar they matched but cannot build (see above).
        raise InvalidMetadata(
            f"not valid {what} (a value that cannot be built: {exc.__class__.__name__})",
            subject=subject,
        ) from None
    _check_numbers(doc, subject, what)
    return doc


def _check_numbers(doc: Any, subject: str, what: str) -> None:
    """InvalidMetadata for an integer (value or key) beyond ``MAX_INT_BITS``. Iterative; the
    parser has bounded the nodes (aliases counted whole), so this walk is bounded too."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if item.bit_length() > MAX_INT_BITS:
                raise InvalidMetadata(
                    f"not valid {what} (a number over {MAX_INT_BITS} bits)", subject=subject
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)


def _prescan(text: str, subject: str, what: str) -> None:
    """InvalidMetadata as soon as the event stream holds more than ``MAX_NODES`` nodes (aliases
    counted once here; the parser counts them expanded) or nests deeper than ``MAX_DEPTH``."""
    import yaml

    from wincloud.agent.bounded import MAX_DEPTH, MAX_NODES

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    nodes = depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                nodes += 1
                depth += 1
                if depth > MAX_DEPTH:
                    raise InvalidMetadata(
                        f"not valid {what} (nested deeper than {MAX_DEPTH} levels)",
                        subject=subject,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.NodeEvent):  # scalars and aliases
                nodes += 1
            if nodes > MAX_NODES:
                raise InvalidMetadata(
                    f"not valid {what} (more than {MAX_NODES} nodes)", subject=subject
                )
    finally:
        loader.dispose()
