"""The service's in-memory view of the store: who has which address, and which revision of
each record is current. Loaded once, then kept fresh from the store's change feed; the hot
path reads it without touching the database.

Only the event loop's thread changes it (``replace``/``apply``), so readers on that thread
need no lock; listeners hear of every instance that changed so caches drop what went stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wincloud.store.changes import Delta, IndexEntry, Snapshot


class InstanceIndex:
    def __init__(self) -> None:
        self.seq = -1  # the change feed position this view reflects; -1: never loaded
        self.entries: dict[str, IndexEntry] = {}
        self.by_address: dict[str, str] = {}  # canonical address text -> uuid
        self._listeners: list[Callable[[Iterable[str]], None]] = []

    def on_change(self, listener: Callable[[Iterable[str]], None]) -> None:
        """``listener(uuids)`` runs after every change with the uuids that changed."""
        self._listeners.append(listener)

    @property
    def loaded(self) -> bool:
        return self.seq >= 0

    def replace(self, snapshot: Snapshot) -> None:
        before = self.entries
        self.entries = dict(snapshot.entries)
        self.by_address = {
            address: entry.uuid for entry in self.entries.values() for address in entry.addresses
        }
        self.seq = snapshot.seq
        stale = [
            uuid
            for uuid in before.keys() | self.entries.keys()
            if before.get(uuid) != self.entries.get(uuid)
        ]
        self._tell(stale)

    def apply(self, delta: Delta) -> None:
        if delta.seq <= self.seq and not delta.changed:
            return
        for uuid in delta.changed:
            old = self.entries.pop(uuid, None)
            if old is not None:
                for address in old.addresses:
                    if self.by_address.get(address) == uuid:
                        del self.by_address[address]
        for uuid, entry in delta.changed.items():
            if entry is not None:
                self.entries[uuid] = entry
                for address in entry.addresses:
                    self.by_address[address] = uuid
        self.seq = max(self.seq, delta.seq)
        self._tell(delta.changed)

    def by_addr(self, key: str) -> IndexEntry | None:
        uuid = self.by_address.get(key)
        return self.entries.get(uuid) if uuid is not None else None

    def _tell(self, uuids: Iterable[str]) -> None:
        changed = list(uuids)
        if changed:
            for listener in self._listeners:
                listener(changed)

    def __len__(self) -> int:
        return len(self.entries)
