"""Parsers with bounded work for what the metadata hands the agent: JSON and YAML that are too
deep, or YAML whose aliases expand beyond a budget, are InvalidMetadata, never a RecursionError
or a gigabyte of objects.

YAML is bounded at every step. Before anything is composed, a streaming pass over the parser's
events (kept one at a time) stops a document at its ``MAX_NODES``-th node or ``MAX_DEPTH``-th
level (a document of millions of small nodes was composed whole first: 4 MiB of ``[1,1,…]``
took 19 s and 1 GB), and a YAML 1.1 base-60 run (``1:2:3:…``, which PyYAML builds group by
group in quadratic time: a 4 MiB one half an hour) longer than any real value is refused.
Scalars PyYAML matches but cannot build (``2024-02-30``, ``!!timestamp x``, an integer of more
than 4,300 digits) and integers over ``MAX_INT_BITS`` are InvalidMetadata too.

PyYAML shares an aliased node's object, so ``b: [*a, *a, *a, ...]`` nine levels deep costs
little to load but expands to billions of items for anything that walks it (the cloud-config
checks, a log line, a JSON dump). The document's node graph is measured, counting each alias
as the whole subtree it stands for, before anything is constructed.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import InvalidMetadata

if TYPE_CHECKING:
    import yaml

MAX_DEPTH: Final = 64
"""Nesting of arrays and objects (mappings, sequences): Nova's documents need 5."""
MAX_NODES: Final = 100_000
"""YAML nodes after expanding aliases (a cloud-config document of a few thousand lines)."""
MAX_ALIASES: Final = 1_000
"""Alias uses in one YAML document."""
MAX_BASE60_GROUPS: Final = 32
_BASE60_RUN: Final = re.compile(rf"(?::[0-5]?[0-9]){{{MAX_BASE60_GROUPS + 1}}}")
MAX_INT_BITS: Final = 256
"""Integers in metadata are ports, MTUs, ids, modes: 77 decimal digits is more than any."""


def parse_json(raw: bytes, *, subject: str) -> Any:
    """UTF-8 JSON nested at most ``MAX_DEPTH`` deep; InvalidMetadata otherwise."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise InvalidMetadata(
            f"JSON nested deeper than {MAX_DEPTH} levels", subject=subject
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMetadata(
            f"not valid JSON ({exc.__class__.__name__})", subject=subject
        ) from None
    check_depth(value, subject=subject)
    return value


def check_depth(value: Any, *, subject: str, limit: int = MAX_DEPTH) -> None:
    """InvalidMetadata when lists/dicts nest deeper than ``limit`` (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth >= limit:
            raise InvalidMetadata(f"nested deeper than {limit} levels", subject=subject)
        stack.extend((child, depth + 1) for child in children)


def parse_yaml(text: str, *, subject: str, what: str = "YAML") -> Any:
    """YAML through a safe loader, refused (InvalidMetadata naming ``subject``) when its
    events hold more than ``MAX_NODES`` nodes or nest deeper than ``MAX_DEPTH``, its aliases
    expand it beyond ``MAX_NODES`` nodes, it uses more than ``MAX_ALIASES`` aliases or refers
    to itself, it holds a long base-60 run, a scalar PyYAML cannot build, or an integer over
    ``MAX_INT_BITS``. yaml.YAMLError passes through for syntax errors."""
    import yaml

    if _BASE60_RUN.search(text):
        raise InvalidMetadata(
            f"not valid {what} (a run of more than {MAX_BASE60_GROUPS} ':'-separated numbers)",
            subject=subject,
        )
    _prescan(text, subject, what)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise InvalidMetadata(
                f"YAML nested deeper than {MAX_DEPTH} levels", subject=subject
            ) from None
        if node is None:
            return None
        _check_nodes(node, subject)
        try:
            doc = loader.construct_document(node)
        except (ValueError, AttributeError, OverflowError) as exc:
            # PyYAML's constructors on a scalar they matched but cannot build (see above).
            raise InvalidMetadata(
                f"not valid {what} (a value that cannot be built: {exc.__class__.__name__})",
                subject=subject,
            ) from None
    finally:
        loader.dispose()
    _check_numbers(doc, subject, what)
    return doc


def _check_nodes(root: yaml.Node, subject: str) -> None:
    """Count the document's nodes as if every alias were copied out, and its height; both
    memoised per node, so the check itself stays linear in the document's size."""
    sizes: dict[int, int] = {}
    heights: dict[int, int] = {}
    on_path: set[int] = set()
    visits = 0
    # Iterative post-order walk: (node, children already pushed?)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        children = _children(node)
        if expanded:
            on_path.discard(key)
            sizes[key] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in children))
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            if sizes[key] > MAX_NODES:
                raise InvalidMetadata(
                    f"YAML expands to more than {MAX_NODES} nodes (aliases)", subject=subject
                )
            if heights[key] > MAX_DEPTH + 1:
                raise InvalidMetadata(
                    f"YAML nested deeper than {MAX_DEPTH} levels", subject=subject
                )
            continue
        if key in on_path:
            raise InvalidMetadata("YAML alias refers to itself", subject=subject)
        if key in sizes:
            visits += 1
            if visits > MAX_ALIASES:
                raise InvalidMetadata(f"YAML uses more than {MAX_ALIASES} aliases", subject=subject)
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children)


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


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
