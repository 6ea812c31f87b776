"""The change feed: what the metadata service needs to keep an in-memory index of the store.

Triggers (migration 0003) log the uuid of every committed change to an instance or its
password in ``changes``; ``seq`` grows in commit order. The service loads a ``Snapshot`` once,
then follows the feed with ``since(seq)``. ``watcher()`` is the cheap per-request probe that
says whether anything may have been committed since the last look:

* SQLite in WAL mode: the WAL-index header in the ``-shm`` file (documented in SQLite's
  "WAL-mode file format"; its change counter moves on every commit), read through a read-only
  mmap: well under a microsecond, no lock, no query.
* other SQLite (in memory): ``SELECT max(seq)`` on the feed's own connection.
* PostgreSQL: ``LISTEN wincloud_changes`` on a dedicated connection in a thread
  (``PgListener``); the probe reads the thread's counter.

Reads here are by uuid only: identity never falls back to a name.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from wincloud.store.engine import sqlite_file, translate_errors
from wincloud.store.hotpath import CompiledRead
from wincloud.store.tables import addresses, changes, instances, passwords

log = logging.getLogger(__name__)

CHANNEL: Final = "wincloud_changes"
_SHM_HEADER: Final = 96  # two copies of the 48-byte WAL-index header


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What the service keeps in memory per instance: enough to identify a caller and to tell
    whether a cached tree is still current, never the record itself."""

    uuid: str
    revision: int
    incarnation: str  # creation time as stored: tells a re-added record from the old one
    project_id: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    seq: int
    entries: dict[str, IndexEntry]


@dataclass(frozen=True)
class Delta:
    seq: int
    changed: dict[str, IndexEntry | None]  # None: the instance is gone


@dataclass(frozen=True)
class StoredRecord:
    record: str  # the record's JSON document
    revision: int
    incarnation: str


class Watcher(Protocol):
    def changed(self) -> bool:
        """True when something may have been committed since the last call (cheap)."""
        ...

    def close(self) -> None: ...


_REFS: Final = sa.select(
    instances.c.uuid, instances.c.revision, instances.c.created_at, instances.c.project_id
)
_ADDRESSES: Final = sa.select(addresses.c.address, addresses.c.instance_uuid)
_MAX_SEQ: Final = sa.select(sa.func.coalesce(sa.func.max(changes.c.seq), 0))
_MIN_SEQ: Final = sa.select(sa.func.min(changes.c.seq))


_RECORD: Final = sa.select(instances.c.record, instances.c.revision, instances.c.created_at).where(
    instances.c.uuid == sa.bindparam("uuid")
)
_BATCH_SIZES: Final = (8, 32, 128)
"""The IN-list lengths ``records`` compiles (a batch is padded to the next one by repeating
its last uuid): a few statements compiled once, instead of SQLAlchemy expanding the list of
every batch (~0.75 ms each in a boot storm)."""


def _records_statement(size: int) -> sa.Select[Any]:
    uuids: list[sa.BindParameter[str]] = [sa.bindparam(f"u{i}") for i in range(size)]
    columns = (instances.c.uuid, instances.c.record, instances.c.revision, instances.c.created_at)
    return sa.select(*columns).where(instances.c.uuid.in_(uuids))


_PASSWORD: Final = sa.select(passwords.c.ciphertext).where(
    passwords.c.instance_uuid == sa.bindparam("uuid")
)


def incarnation(created: object) -> str:
    """A record's creation time as one canonical text, whether a driver hands it over as an
    aware datetime (PostgreSQL, SQLAlchemy) or as SQLite's stored text (naive UTC)."""
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    if isinstance(created, datetime):
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return created.astimezone(UTC).isoformat()
    return str(created)


def _entries(conn: Connection, uuids: list[str] | None) -> dict[str, IndexEntry]:
    refs, addrs = _REFS, _ADDRESSES
    if uuids is not None:
        refs = refs.where(instances.c.uuid.in_(uuids))
        addrs = addrs.where(addresses.c.instance_uuid.in_(uuids))
    owned: dict[str, list[str]] = {}
    for address, owner in conn.execute(addrs):
        owned.setdefault(owner, []).append(address)
    return {
        uuid: IndexEntry(uuid, revision, incarnation(created), project, tuple(owned.get(uuid, ())))
        for uuid, revision, created, project in conn.execute(refs)
    }


class ChangeFeed:
    """Consistent reads of the index and of single records, for one store (thread-safe)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self._engine = engine
        self._url = url
        self._record = CompiledRead(engine, _RECORD, url, "read an instance")
        self._password = CompiledRead(engine, _PASSWORD, url, "read a password")
        self._batches = {
            size: CompiledRead(engine, _records_statement(size), url, "read instances")
            for size in _BATCH_SIZES
        }

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def _snapshot_conn(self) -> contextlib.AbstractContextManager[Connection]:
        conn = self._engine.connect()
        if self.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def snapshot(self) -> Snapshot:
        with (
            translate_errors(self._url, "load the instance index"),
            self._snapshot_conn() as c,
            c.begin(),
        ):
            seq = int(c.execute(_MAX_SEQ).scalar_one())
            return Snapshot(seq, _entries(c, None))

    def since(self, seq: int) -> Delta | None:
        """What changed after ``seq``; None when the feed no longer reaches back that far
        (pruned): take a ``snapshot()`` instead."""
        with (
            translate_errors(self._url, "follow the change feed"),
            self._snapshot_conn() as c,
            c.begin(),
        ):
            oldest = c.execute(_MIN_SEQ).scalar_one_or_none()
            if oldest is not None and oldest > seq + 1:
                return None
            rows = c.execute(
                sa.select(changes.c.seq, changes.c.instance_uuid).where(changes.c.seq > seq)
            ).all()
            if not rows:
                return Delta(seq, {})
            touched = sorted({row.instance_uuid for row in rows})
            found = _entries(c, touched)
            latest = max(int(row.seq) for row in rows)
            return Delta(latest, {uuid: found.get(uuid) for uuid in touched})

    def moved(self) -> str | None:
        """SQLite: why the database file is no longer the one opened (deleted or replaced:
        changes committed to a new file would never reach this feed); None otherwise."""
        file = sqlite_file(self._engine)
        return file.moved() if file is not None else None

    def latest_seq(self) -> int:
        with translate_errors(self._url, "read the change feed"), self._engine.connect() as c:
            return int(c.execute(_MAX_SEQ).scalar_one())

    def record(self, uuid: str) -> StoredRecord | None:
        """One record by uuid, on a raw pooled connection (a tree miss: every microsecond
        counts in a boot storm)."""
        row = self._record.first({"uuid": uuid})
        if row is None:
            return None
        return StoredRecord(row[0], int(row[1]), incarnation(row[2]))

    def records(self, uuids: list[str]) -> dict[str, StoredRecord]:
        """Several records by uuid in one query (the tree misses of a boot storm, batched);
        uuids the store does not hold are absent from the answer."""
        if len(uuids) == 1:
            one = self.record(uuids[0])
            return {uuids[0]: one} if one is not None else {}
        found: dict[str, StoredRecord] = {}
        largest = _BATCH_SIZES[-1]
        for start in range(0, len(uuids), largest):
            chunk = uuids[start : start + largest]
            size = next(n for n in _BATCH_SIZES if n >= len(chunk))
            padded = chunk + [chunk[-1]] * (size - len(chunk))
            rows = self._batches[size].all({f"u{i}": uuid for i, uuid in enumerate(padded)})
            for uuid, record, revision, created in rows:
                found[uuid] = StoredRecord(record, int(revision), incarnation(created))
        return found

    def password(self, uuid: str) -> bytes | None:
        row = self._password.first({"uuid": uuid})
        return bytes(row[0]) if row is not None and row[0] is not None else None

    def prune(self, keep: int = 10_000) -> int:
        """Forget all but the newest ``keep`` changes; readers that fell further behind take
        a snapshot. Returns how many rows went."""
        with translate_errors(self._url, "prune the change feed"), self._engine.begin() as c:
            newest = int(c.execute(_MAX_SEQ).scalar_one())
            gone = c.execute(sa.delete(changes).where(changes.c.seq <= newest - keep)).rowcount
        return int(gone or 0)

    def watcher(self) -> Watcher:
        """The cheapest sound per-request probe this store allows."""
        database = self._engine.url.database
        if self.dialect == "sqlite" and database and database != ":memory:":
            # The feed's own reads keep a pooled connection, so the -shm file exists.
            self.latest_seq()
            shm = Path(database + "-shm")
            with contextlib.suppress(OSError, ValueError):
                return ShmWatcher(shm)
        return SeqWatcher(self)


class ShmWatcher:
    """Watches SQLite's WAL-index header (both copies) through a read-only shared mapping.

    Every commit rewrites the header (its change counter and frame count move), so equal
    header bytes mean nothing was committed since the last look. A torn read only ever shows
    a difference, which costs one needless look at the feed."""

    _map: mmap.mmap
    _last: bytes

    def __init__(self, shm: Path) -> None:
        if sys.platform == "win32":  # pragma: no cover - SQLite's -shm is mapped on POSIX only
            raise OSError("no shared mappings of the -shm file here")
        fd = os.open(shm, os.O_RDONLY)
        try:
            self._map = mmap.mmap(fd, _SHM_HEADER, mmap.MAP_SHARED, mmap.PROT_READ)
        finally:
            os.close(fd)
        self._last = b""

    def changed(self) -> bool:
        now = self._map[:_SHM_HEADER]
        if now == self._last:
            return False
        self._last = now
        return True

    def close(self) -> None:
        self._map.close()


class SeqWatcher:
    """Asks the database for the newest change on every call (in-memory SQLite, strict mode)."""

    def __init__(self, feed: ChangeFeed) -> None:
        self._feed = feed
        self._last = -1

    def changed(self) -> bool:
        now = self._feed.latest_seq()
        if now == self._last:
            return False
        self._last = now
        return True

    def close(self) -> None:
        return None


class PgListener:
    """LISTEN on a dedicated PostgreSQL connection in a daemon thread.

    ``on_notify`` runs in the listener thread after each batch of notifications (and after
    every reconnect, since notifications sent while disconnected are lost); ``on_state`` gets
    ``None`` when connected and a reason while the connection is down. ``generation`` counts
    batches, so a probe can tell that something arrived."""

    def __init__(
        self,
        engine: Engine,
        on_notify: Callable[[], None],
        on_state: Callable[[str | None], None],
        *,
        retry_s: float = 1.0,
    ) -> None:
        self._engine = engine
        self._on_notify = on_notify
        self._on_state = on_state
        self._retry_s = retry_s
        self._stop = threading.Event()
        self.generation = 0
        self._thread = threading.Thread(target=self._run, name="wincloud-pg-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _connect(self) -> Any:
        import psycopg

        url = self._engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
        conn.execute(f"LISTEN {CHANNEL}")
        return conn

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except Exception as exc:
                self._on_state(str(exc).strip().splitlines()[0] if str(exc).strip() else "down")
                self._stop.wait(self._retry_s)
                continue
            self._on_state(None)
            self.generation += 1
            self._on_notify()  # catch up with whatever was missed while disconnected
            try:
                with conn:
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.2):
                            self.generation += 1
                            self._on_notify()
            except Exception as exc:
                self._on_state(str(exc).strip().splitlines()[0] if str(exc).strip() else "lost")
                self._stop.wait(self._retry_s)
