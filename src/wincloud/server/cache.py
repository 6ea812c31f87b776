"""Rendered trees, cached per instance until its record changes (a new revision)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from wincloud.model import Instance
from wincloud.store import InstanceRef, StoredInstance
from wincloud.tree import render_http


@dataclass(frozen=True)
class Rendered:
    instance: Instance
    ref: InstanceRef
    """The lookup this tree was rendered for: a hit needs the same revision and incarnation."""
    files: dict[str, bytes]


def _same_version(a: InstanceRef, b: InstanceRef) -> bool:
    return a.revision == b.revision and a.incarnation == b.incarnation


class TreeCache:
    """A bounded LRU of rendered trees; thread-safe (lookups run in worker threads)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(
        self, ref: InstanceRef, load: Callable[[str], StoredInstance | None]
    ) -> Rendered | None:
        with self._lock:
            cached = self._items.get(ref.uuid)
            if cached is not None and _same_version(cached.ref, ref):
                self._items.move_to_end(ref.uuid)
                self.hits += 1
                return cached
        self.misses += 1
        stored = load(ref.uuid)
        if stored is None:  # removed between lookup and load
            return None
        rendered = Rendered(stored.instance, ref, render_http(stored.instance))
        with self._lock:
            self._items[ref.uuid] = rendered
            self._items.move_to_end(ref.uuid)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return rendered

    def __len__(self) -> int:
        return len(self._items)
