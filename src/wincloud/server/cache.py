"""Rendered trees, kept until their record changes, bounded by count and by bytes.

A tree is rendered once per record revision, one part (version) at a time as guests first ask
for it (a guest reads two or three of the 25 versions). When a part is rendered, the complete
HTTP response (status line, headers and body) of each of its paths is built with it, in one
go (a guest that asks for a part reads nearly all of it), and kept with the tree, so every
request for it costs one dict lookup and one write. Bodies equal across paths of one tree
(many versions of a file are identical) are stored once; small responses equal across trees
(most EC2 leaves and listings, vendor data, the roots) are built once and shared, through a
bounded table that holds bytes only (a tree counts what it uses in full, so the cache's bound
never depends on what the table holds). Only the event loop's thread uses the cache.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import Final

from wincloud.model import Instance
from wincloud.server.responses import TEXT, ok_response
from wincloud.store.changes import IndexEntry
from wincloud.tree import http_part, render_http_part
from wincloud.tree.render import HTTP_PARTS

# What a cached path costs beyond its bytes (dict slots, bytes object headers), and a tree
# beyond its paths, roughly (checked with tracemalloc against a walked tree); the parsed record
# kept for rendering further parts costs about three times its JSON.
_PER_PATH: Final = 160
_PER_TREE: Final = 2048
_PER_RECORD_BYTE: Final = 3
# What guests read at boot: the roots, the newest OpenStack version, the newest EC2 version
# (cloud-init's walk; cloudbase-init adds a few older versions, rendered on demand).
BOOT_PARTS: Final = ("", "openstack/latest", "latest")
_JSON: Final = "application/json"
# Responses of bodies up to this size are shared across trees (the 4,096 last used).
_SHARED_BODY: Final = 512


class Rendered:
    __slots__ = (
        "by_body",
        "distinct",
        "files",
        "heads",
        "incarnation",
        "instance",
        "parts",
        "responses",
        "revision",
        "size",
        "uuid",
    )

    def __init__(
        self,
        instance: Instance,
        entry: IndexEntry,
        files: dict[str, bytes] | None = None,
        *,
        record_size: int = 0,
    ) -> None:
        """``files``: the whole tree, already rendered; otherwise parts render on demand.
        ``record_size``: the length of the record's JSON (the parsed record is kept)."""
        self.instance = instance
        self.uuid = entry.uuid
        self.revision = entry.revision
        self.incarnation = entry.incarnation
        self.files: dict[str, bytes] = {}
        self.distinct: dict[bytes, bytes] = {}  # each body once
        self.parts: set[str] = set()
        self.responses: dict[str, bytes] = {}  # path -> full 200 response
        self.heads: dict[str, bytes] = {}  # path -> the same, headers only (HEAD)
        # (id of a body in files, content type, head) -> its response: shared across paths
        self.by_body: dict[tuple[int, str, bool], bytes] = {}
        self.size = _PER_TREE + _PER_RECORD_BYTE * record_size
        if files is not None:
            self.add(files)
            self.parts.update(HTTP_PARTS)

    def add(self, files: dict[str, bytes]) -> int:
        """Take rendered files in; the bytes this tree grew by."""
        grown = 0
        for path, body in files.items():
            kept = self.distinct.get(body)
            if kept is None:
                kept = self.distinct[body] = body
                grown += len(body)
            self.files[path] = kept
            grown += _PER_PATH
        self.size += grown
        return grown

    def render_for(self, path: str) -> int:
        """Render the part that holds ``path`` unless it is there; the bytes grown."""
        part = http_part(path)
        if part is None or part in self.parts:
            return 0
        return self._render(part)

    def _render(self, part: str) -> int:
        """Render ``part`` and build the GET response of each of its paths."""
        self.parts.add(part)
        files = render_http_part(self.instance, part)
        grown = self.add(files)
        responses = self.responses
        for path in files:
            if path not in responses:
                grown += self._build(path, False)
        return grown

    def _build(self, path: str, head: bool) -> int:
        """Keep the response for ``path`` (rendered already); the bytes this tree grew by."""
        body = self.files[path]
        content_type = _JSON if path.endswith(".json") else TEXT
        key = (id(body), content_type, head)
        found = self.by_body.get(key)  # the same bytes under another path (version)
        grown = _PER_PATH
        if found is None:
            if len(body) <= _SHARED_BODY:  # equal bytes in other trees: one response
                found = _shared_response(body, content_type, head)
            else:
                found = ok_response(body, content_type, head=head)
            self.by_body[key] = found
            grown += len(found)
        (self.heads if head else self.responses)[path] = found
        self.size += grown
        return grown

    def respond(self, path: str, head: bool) -> tuple[bytes | None, int]:
        """The response for ``path`` (None: no such path), rendering its part if need be,
        and the bytes this tree grew by."""
        table = self.heads if head else self.responses
        found = table.get(path)
        if found is not None:
            return found, 0
        grown = 0
        if path not in self.files:
            grown = self.render_for(path)
            if path not in self.files:
                return None, grown
        found = table.get(path)
        if found is None:
            grown += self._build(path, head)
            found = table[path]
        return found, grown

    def prebuild(self, parts: tuple[str, ...] = BOOT_PARTS) -> None:
        """Render ``parts`` with the GET response of each of their paths, before the tree is
        shared (the background prewarm: a pool thread owns the tree until then)."""
        for part in parts:
            if part not in self.parts:
                self._render(part)

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

    def peek(self, uuid: str) -> Rendered | None:
        """The tree held for ``uuid``, without counting a hit or touching its recency."""
        return self._items.get(uuid)

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
        found, grown = rendered.respond(path, head)
        self._grew(rendered, grown)
        return found

    def _grew(self, rendered: Rendered, grown: int) -> None:
        if grown and self._items.get(rendered.uuid) is rendered:
            self._items.move_to_end(rendered.uuid)
            self.bytes += grown
            self._shrink()

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


@functools.lru_cache(maxsize=4096)
def _shared_response(body: bytes, content_type: str, head: bool) -> bytes:
    """The response for a small body, built once for every tree that has the same bytes."""
    return ok_response(body, content_type, head=head)
