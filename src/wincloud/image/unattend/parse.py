"""A hardened reader for answer files: a small element tree with line numbers.

Any file may be linted, so the reader trusts nothing: no DTD at all (so no entity expansion,
internal or external), a size bound, a depth bound and an element-count bound. Namespaces
are not processed (names stay as written: ``wcm:action``), which lets the lint report an
unbound prefix the way Windows Setup's parser would refuse it.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Final
from xml.parsers import expat

MAX_BYTES: Final = 1 << 20
MAX_DEPTH: Final = 64
MAX_ELEMENTS: Final = 50_000


class UnsafeXml(ValueError):
    """The file uses a DTD, or is too large or too deep: refused before any expansion."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class MalformedXml(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Node:
    """An element: its name as written, attributes as written, text (stripped), children."""

    tag: str
    attrs: dict[str, str]
    line: int
    parent: Node | None = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list, repr=False)
    text: str = ""

    def find(self, *path: str) -> Node | None:
        """The first descendant along ``path`` (child names), or None."""
        node: Node | None = self
        for name in path:
            assert node is not None
            node = next((c for c in node.children if c.tag == name), None)
            if node is None:
                return None
        return node

    def iter(self, tag: str | None = None) -> list[Node]:
        """This element and every descendant (document order), optionally by name."""
        out: list[Node] = []
        stack = [self]
        while stack:
            node = stack.pop()
            if tag is None or node.tag == tag:
                out.append(node)
            stack.extend(reversed(node.children))
        return out

    def namespaces(self) -> dict[str, str]:
        """Prefix -> URI declared on this element or an ancestor ("" for the default)."""
        chain: list[Node] = []
        node: Node | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        out: dict[str, str] = {}
        for item in reversed(chain):
            for name, value in item.attrs.items():
                if name == "xmlns":
                    out[""] = value
                elif name.startswith("xmlns:"):
                    out[name[len("xmlns:") :]] = value
        return out


def decode(data: bytes) -> str:
    """The document's text: UTF-16 with its BOM, else UTF-8 (BOM allowed)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def parse_answer_file(data: bytes) -> Node:
    """The root element of ``data``; UnsafeXml or MalformedXml (with a line) otherwise."""
    if len(data) > MAX_BYTES:
        raise UnsafeXml(f"larger than {MAX_BYTES} bytes", 1)
    parser = expat.ParserCreate()
    stack: list[Node] = []
    root: list[Node] = []
    count = 0

    def refuse_dtd(*_args: object) -> None:
        raise UnsafeXml("a DOCTYPE or entity declaration (refused)", parser.CurrentLineNumber)

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        line = parser.CurrentLineNumber
        if count > MAX_ELEMENTS:
            raise UnsafeXml(f"more than {MAX_ELEMENTS} elements", line)
        if len(stack) >= MAX_DEPTH:
            raise UnsafeXml(f"nested deeper than {MAX_DEPTH}", line)
        node = Node(name, dict(attrs), line, parent=stack[-1] if stack else None)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_name: str) -> None:
        node = stack.pop()
        node.text = node.text.strip()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text += text

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.UnparsedEntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd  # type: ignore[assignment]
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise MalformedXml(expat.errors.messages[exc.code], exc.lineno) from None
    if not root:  # pragma: no cover - expat reports "no element found" first
        raise MalformedXml("no element found", 1)
    return root[0]
