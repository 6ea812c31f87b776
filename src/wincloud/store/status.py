"""What ``wincloud db`` reports and does: the schema a store is at, and bringing it to head."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import sqlalchemy as sa

from wincloud.store.engine import create_store_engine, translate_errors
from wincloud.store.migrate import head_revisions, known_revisions, read_current, upgrade_to_head
from wincloud.store.sql import SqlInstanceRepo
from wincloud.store.tables import instances, passwords
from wincloud.store.urls import display_url

State = Literal["current", "empty", "behind", "ahead"]
ADVICE: Final[dict[State, str]] = {
    "current": "current",
    "empty": "no wincloud schema: run `wincloud db init`",
    "behind": "older than this wincloud: run `wincloud db upgrade`",
    "ahead": "newer than this wincloud: upgrade wincloud",
}


@dataclass(frozen=True)
class StoreStatus:
    url: str  # password hidden
    backend: str
    revisions: tuple[str, ...]
    head: tuple[str, ...]
    instances: int | None  # None unless the schema is current
    passwords: int | None
    health: str | None  # None: healthy

    @property
    def state(self) -> State:
        if set(self.revisions) == set(self.head):
            return "current"
        if not self.revisions:
            return "empty"
        if set(self.revisions) - known_revisions():
            return "ahead"
        return "behind"


@dataclass(frozen=True)
class Upgrade:
    url: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


def store_status(url: str) -> StoreStatus:
    """Inspect the store at ``url`` without creating or migrating anything."""
    engine = create_store_engine(url)
    try:
        current = read_current(engine, url)
        head = head_revisions()
        counts: tuple[int | None, int | None] = (None, None)
        if current == head:
            with translate_errors(url, "count the records"), engine.connect() as conn:
                count = sa.select(sa.func.count())
                counts = (
                    int(conn.execute(count.select_from(instances)).scalar_one()),
                    int(conn.execute(count.select_from(passwords)).scalar_one()),
                )
        health = SqlInstanceRepo(engine, url).health()
        return StoreStatus(
            display_url(url),
            engine.dialect.name,
            tuple(sorted(current)),
            tuple(sorted(head)),
            counts[0],
            counts[1],
            health,
        )
    finally:
        engine.dispose()


def upgrade_store(url: str, *, create: bool) -> Upgrade:
    """Bring the store at ``url`` to the newest schema (creating a SQLite file with
    ``create``); what it was before and is now."""
    engine = create_store_engine(url, create=create)
    try:
        before = read_current(engine, url)
        upgrade_to_head(engine, url)
        after = read_current(engine, url)
    finally:
        engine.dispose()
    return Upgrade(display_url(url), tuple(sorted(before)), tuple(sorted(after)))
