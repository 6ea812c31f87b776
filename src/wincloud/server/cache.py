"""Rendered trees, kept until their record changes, bounded by count and by bytes.

A tree is rendered once per record revision; each answer's complete HTTP response (status
line, headers and body) is built on first use and kept with the tree, so a repeated request
costs one dict lookup and one write. Bodies equal across paths of one tree (many versions of
a file are identical) are stored once. Only the event loop's thread uses the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Final

from wincloud.model import Instance
from wincloud.server.responses import ok_response
from wincloud.store.changes import IndexEntry

# What a cached path costs beyond its bytes (dict slot, bytes object headers), roughly.
_PER_PATH: Final = 120
_PER_TREE: Final = 2048


class Rendered:
    __slots__ = (
        "by_body",
        "files",
        "heads",
        "incarnation",
        "instance",
        "responses",
        "revision",
        "size",
        "uuid",
    )

    def __init__(self, instance: Instance, entry: IndexEntry, files: dict[str, bytes]) -> None:
        self.instance = instance
        self.uuid = entry.uuid
        self.revision = entry.revision
        self.incarnation = entry.incarnation
        distinct: dict[bytes, bytes] = {}
        self.files = {path: distinct.setdefault(body, body) for path, body in files.items()}
        self.responses: dict[str, bytes] = {}  # path -> full 200 response
        self.heads: dict[str, bytes] = {}  # path -> the same, headers only (HEAD)
        # (id of a body in files, content type, head) -> its response: shared across paths
        self.by_body: dict[tuple[int, str, bool], bytes] = {}
        self.size = _PER_TREE + sum(map(len, distinct)) + _PER_PATH * len(self.files)

    def is_current(self, entry: IndexEntry) -> bool:
        return entry.revision == self.revision and entry.incarnation == self.incarnation


class TreeCache:
    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, Rendered] = OrderedDict()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def find(self, entry: IndexEntry) -> Rendered | None:
        rendered = self._items.get(entry.uuid)
        if rendered is not None and rendered.is_current(entry):
            self.hits += 1
            self._items.move_to_end(entry.uuid)
            return rendered
        self.misses += 1
        return None

    def put(self, rendered: Rendered) -> None:
        self.drop(rendered.uuid)
        self._items[rendered.uuid] = rendered
        self.bytes += rendered.size
        self._shrink()

    def response(self, rendered: Rendered, path: str, head: bool) -> bytes | None:
        """The full 200 response for ``path`` of this tree, or None when there is no such
        path. HEAD answers carry the headers only."""
        table = rendered.heads if head else rendered.responses
        found = table.get(path)
        if found is not None:
            return found
        body = rendered.files.get(path)
        if body is None:
            return None
        key = (id(body), _content_type(path), head)
        found = rendered.by_body.get(key)  # the same bytes under another path (version)
        grown = _PER_PATH
        if found is None:
            found = rendered.by_body[key] = ok_response(body, key[1], head=head)
            grown += len(found)
        table[path] = found
        rendered.size += grown
        if self._items.get(rendered.uuid) is rendered:
            self._items.move_to_end(rendered.uuid)
            self.bytes += grown
            self._shrink()
        return found

    def drop(self, uuid: str) -> None:
        gone = self._items.pop(uuid, None)
        if gone is not None:
            self.bytes -= gone.size

    def _shrink(self) -> None:
        while self._items and (len(self._items) > self.max_items or self.bytes > self.max_bytes):
            _, gone = self._items.popitem(last=False)
            self.bytes -= gone.size
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._items)


def _content_type(path: str) -> str:
    return "application/json" if path.endswith(".json") else "text/plain; charset=utf-8"
