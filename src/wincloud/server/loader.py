"""Tree misses, coalesced: the records that guests ask for while a read is in flight are read
together in the next one.

In a boot storm a thousand guests ask for a thousand trees nobody has rendered yet. Read one
by one, each miss costs a hop to the pool thread and back, a query and a parse, and the
event loop and the pool fight over the interpreter lock for every one of them. Here a miss
joins a queue; at most ``max_in_flight`` reads run at once, each taking up to ``max_batch``
queued records in one query and parsing them in one pool call. A single miss on a quiet
service is still read at once, alone.

Prewarm: records that are new or changed (and, at start, the newest ones) are read and
their boot parts rendered in the background, one small batch at a time and only while no
guest waits for a read, so that a guest's first request finds its tree ready: in a real boot
storm the records were written seconds before the guests boot. The start's prewarm (records
no guest may ask for soon) also waits while guests are being answered at all: rendering them
in the pool thread takes the interpreter from the event loop, and a storm that began as the
service started was slowed by a third while its hits waited for it.

A record is loaded for exactly the revision the caller's index entry names; the store
holding another revision (or none) by now answers None for that entry, and the caller
catches up and asks again. A record that does not parse fails its own callers only.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Final

from wincloud.errors import StoreError
from wincloud.model import load_stored_instance
from wincloud.server.cache import Rendered
from wincloud.store.changes import ChangeFeed, IndexEntry

Key = tuple[str, int, str]  # uuid, revision, incarnation
Loaded = Rendered | StoreError | None

MAX_BATCH: Final = 128
MAX_IN_FLIGHT: Final = 2
PREWARM_BATCH: Final = 32
PREWARM_QUIET: Final = 0.05  # seconds without a guest's miss before a prewarm batch starts
# (and, for the start's prewarm, without any answered request)


def key_of(entry: IndexEntry) -> Key:
    return (entry.uuid, entry.revision, entry.incarnation)


class TreeLoader:
    """Reads records for tree misses in batches on ``pool``; use on the event loop's thread."""

    def __init__(
        self,
        feed: ChangeFeed,
        pool: Executor,
        store_url: str,
        timed: Callable[[float, bool], None],
        warmed: Callable[[Rendered, bool], bool] | None = None,
        *,
        answered: Callable[[], int] | None = None,
        max_batch: int = MAX_BATCH,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._feed = feed
        self._pool = pool
        self._url = store_url
        self._timed = timed  # (seconds, failed): the store-call metric
        # (tree, may evict) -> False when the cache has no room left for prewarmed trees
        self._warmed = warmed
        self.loop: asyncio.AbstractEventLoop | None = None  # set by the service's start
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._pending: dict[Key, asyncio.Future[Rendered | None]] = {}
        self._queue: dict[Key, IndexEntry] = {}
        self._in_flight = 0
        self.batches = 0  # reads made for guests (for tests and the bench)
        # Prewarm: uuid -> its newest entry, new and changed records (may evict other trees)
        # apart from the start's (only free room); one background read at a time. Keyed by
        # uuid, so a record changed many times while guests keep the loader busy is queued
        # once, at its newest revision: bounded by the number of instances.
        self._changed: dict[str, IndexEntry] = {}
        self._initial: dict[str, IndexEntry] = {}
        self._warming = False
        self._last_miss = 0.0  # loop time of the last guest's miss
        self._answered = answered  # requests answered so far (any guest's)
        self._seen_answered = -1
        self._last_answer = 0.0  # loop time the count was last seen moving
        self._retry: asyncio.TimerHandle | None = None
        self.prewarmed = 0  # trees rendered ahead of their guests

    def prewarm(self, entries: Iterable[IndexEntry], *, evict: bool) -> None:
        """Render these entries' boot parts in the background, in this order, while guests
        wait for nothing. ``evict``: their trees may push the least recently used ones out
        (new and changed records); otherwise they only fill free room (the start)."""
        if self._warmed is None:
            return
        for entry in entries:
            if key_of(entry) in self._pending:
                continue
            # Its older revision is dropped; once queued as changed, it stays so.
            was_changed = self._changed.pop(entry.uuid, None) is not None
            self._initial.pop(entry.uuid, None)
            if evict or was_changed:
                self._changed[entry.uuid] = entry
            else:
                self._initial[entry.uuid] = entry
        self._start()

    @property
    def queued(self) -> dict[str, tuple[IndexEntry, bool]]:
        """What waits for prewarm: uuid -> (entry, may evict)."""
        return {
            **{u: (e, False) for u, e in self._initial.items()},
            **{u: (e, True) for u, e in self._changed.items()},
        }

    def load(self, entry: IndexEntry) -> asyncio.Future[Rendered | None]:
        """The tree of exactly ``entry``'s revision (None: the store holds another by now).
        Callers of the same key share one read; await it through ``asyncio.shield``."""
        key = key_of(entry)
        pending = self._pending.get(key)
        if pending is None:
            for queue in (self._changed, self._initial):
                queued = queue.get(entry.uuid)
                if queued is not None and key_of(queued) == key:
                    del queue[entry.uuid]
            loop = self._event_loop()
            self._last_miss = loop.time()
            pending = loop.create_future()
            pending.add_done_callback(_consume)
            self._pending[key] = pending
            self._queue[key] = entry
            self._start()
        return pending

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        return self.loop if self.loop is not None else asyncio.get_running_loop()

    def _start(self) -> None:
        loop = self._event_loop()
        while self._queue and self._in_flight < self.max_in_flight:
            batch: list[IndexEntry] = []
            for key in list(itertools.islice(self._queue, self.max_batch)):
                batch.append(self._queue.pop(key))
            started = time.perf_counter()
            try:
                read = loop.run_in_executor(self._pool, self._read, batch)
            except RuntimeError:  # the pool is shut down: the service is closing
                self._finish(batch, StoreError("the service is shutting down"))
                continue
            self._in_flight += 1
            read.add_done_callback(functools.partial(self._done, batch, started))
        waiting = self._changed or self._initial
        if waiting and not self._queue and not self._in_flight and not self._warming:
            now = loop.time()
            quiet = self._last_miss + PREWARM_QUIET - now
            if quiet > 0:  # guests are missing: they come first; look again when it is quiet
                self._later(quiet)
                return
            chosen = [(e, True) for e in itertools.islice(self._changed.values(), PREWARM_BATCH)]
            if not chosen:
                answering = self._answering(now)
                if answering > 0:  # the start's prewarm waits for a quiet moment
                    self._later(answering)
                    return
                chosen = [
                    (e, False) for e in itertools.islice(self._initial.values(), PREWARM_BATCH)
                ]
            for entry, evict in chosen:
                del (self._changed if evict else self._initial)[entry.uuid]
            try:
                read = loop.run_in_executor(
                    self._pool, self._read, [entry for entry, _ in chosen], True
                )
            except RuntimeError:
                self._changed.clear()
                self._initial.clear()
                return
            self._warming = True
            read.add_done_callback(
                functools.partial(self._warm_done, [evict for _, evict in chosen])
            )

    def _answering(self, now: float) -> float:
        """Seconds until answering has been quiet for PREWARM_QUIET (0: quiet now)."""
        if self._answered is None:
            return 0.0
        count = self._answered()
        if count != self._seen_answered:
            self._seen_answered = count
            self._last_answer = now
        return max(self._last_answer + PREWARM_QUIET - now, 0.0)

    def _later(self, delay: float) -> None:
        if self._retry is None:
            self._retry = self._event_loop().call_later(delay, self._retry_start)

    def _retry_start(self) -> None:
        self._retry = None
        self._start()

    def _read(self, batch: list[IndexEntry], prebuild: bool = False) -> dict[Key, Loaded]:
        """(pool thread) ``prebuild``: also render the boot parts, yielding the interpreter
        between records so the event loop keeps answering."""
        stored = self._feed.records([entry.uuid for entry in batch])
        loaded: dict[Key, Loaded] = {}
        for entry in batch:
            record = stored.get(entry.uuid)
            if (
                record is None
                or record.revision != entry.revision
                or record.incarnation != entry.incarnation
            ):
                loaded[key_of(entry)] = None
                continue
            # Anything one record does (nesting past the parser's recursion limit, a value
            # the renderer trips on) fails that record's callers only, never the batch.
            try:
                instance = load_stored_instance(
                    json.loads(record.record), source=f"record {entry.uuid}"
                )
                # Its parts render as guests ask for them (or now, ahead of them).
                rendered = Rendered(instance, entry, record_size=len(record.record))
                if prebuild:
                    rendered.prebuild()
                    time.sleep(0)
            except Exception:
                loaded[key_of(entry)] = StoreError(
                    f"the stored record of instance {entry.uuid} is not valid",
                    subject=self._url,
                    hint=f"replace it: wincloud instance update {entry.uuid} FILE",
                )
                continue
            loaded[key_of(entry)] = rendered
        return loaded

    def _done(
        self, batch: list[IndexEntry], started: float, done: asyncio.Future[dict[Key, Loaded]]
    ) -> None:
        self._in_flight -= 1
        self.batches += 1
        failed: BaseException | None = None
        if done.cancelled():
            failed = StoreError("the service is shutting down")
        else:
            failed = done.exception()
        self._timed(time.perf_counter() - started, failed is not None)
        if failed is not None:
            self._finish(batch, failed)
        else:
            results = done.result()
            for entry in batch:
                self._settle(key_of(entry), results.get(key_of(entry)))
        self._start()

    def _warm_done(self, evicts: list[bool], done: asyncio.Future[dict[Key, Loaded]]) -> None:
        self._warming = False
        if done.cancelled() or done.exception() is not None:
            self._changed.clear()  # the store is failing: guests' reads will say so
            self._initial.clear()
            return
        warmed = self._warmed
        full = False
        for evict, value in zip(evicts, done.result().values(), strict=True):
            if not isinstance(value, Rendered) or warmed is None or (full and not evict):
                continue
            if warmed(value, evict):
                self.prewarmed += 1
            elif not evict:
                full = True
        if full:  # the start's prewarm stops; new and changed records still come in
            self._initial.clear()
        self._start()

    def _finish(self, batch: list[IndexEntry], error: BaseException) -> None:
        for entry in batch:
            self._settle(key_of(entry), error)

    def _settle(self, key: Key, value: Rendered | BaseException | None) -> None:
        pending = self._pending.pop(key, None)
        if pending is None or pending.done():
            return
        if isinstance(value, BaseException):
            pending.set_exception(value)
        else:
            pending.set_result(value)


def _consume(done: asyncio.Future[Rendered | None]) -> None:
    """Mark a failed read's error as seen: its callers may have gone (connection closed)."""
    if not done.cancelled():
        done.exception()
