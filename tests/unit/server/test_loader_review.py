"""Review findings on the batched tree loader (server/loader.py): a record that breaks the
parser in an unexpected way fails its own callers only, in a guest's batch and in a prewarm
batch; and the prewarm queue is bounded by the number of instances, however often records
change while guests keep the loader busy."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import sqlalchemy as sa

from wincloud.errors import StoreError
from wincloud.server.app import create_app
from wincloud.server.settings import ServerSettings

# Nested past the JSON parser's recursion limit (RecursionError, not ValueError) yet within
# what the store itself accepts as JSON (SQLite: 2000 levels).
_TOO_DEEP = "[" * 1500 + "]" * 1500


def _add(repo: Any, make_instance: Any, count: int, prefix: str, net: int) -> list[str]:
    return [
        repo.add(
            make_instance(
                name=f"{prefix}-{i}", hostname=f"{prefix}-{i}", fixed_ips=[f"10.{net}.0.{i + 1}"]
            )
        ).instance.uuid
        for i in range(count)
    ]


def _damage(repo: Any, uuid: str) -> None:
    with repo.engine.begin() as conn:  # behind the service's back, same revision
        conn.execute(
            sa.text("UPDATE instances SET record = :r WHERE uuid = :u"), {"r": _TOO_DEEP, "u": uuid}
        )


def _settle(loop: asyncio.AbstractEventLoop, app: Any) -> None:
    async def wait() -> None:
        deadline = loop.time() + 20.0
        while (app.loader.queued or app.loader._warming) and loop.time() < deadline:
            await asyncio.sleep(0.005)

    loop.run_until_complete(wait())


def test_a_record_nested_too_deep_fails_only_its_own_callers(repo, make_instance):
    uuids = _add(repo, make_instance, 12, "vm", 1)
    bad = uuids[5]
    _damage(repo, bad)
    app = create_app(repo, dataclasses.replace(ServerSettings(), prewarm=False))
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)

        async def storm() -> list[Any]:
            entries = [app.index.entries[u] for u in uuids]
            return await asyncio.gather(
                *(app._rendered(e) for e in entries), return_exceptions=True
            )

        results = loop.run_until_complete(storm())
    finally:
        app.close()
        loop.close()
    for uuid, result in zip(uuids, results, strict=True):
        if uuid == bad:
            assert isinstance(result, StoreError)
            assert bad in result.message
        else:
            assert not isinstance(result, BaseException), result
            assert result is not None and result.uuid == uuid


def test_a_bad_record_among_new_ones_does_not_stop_the_others_prewarm(repo, make_instance):
    _add(repo, make_instance, 2, "old", 1)
    app = create_app(repo, ServerSettings())
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        new = _add(repo, make_instance, 6, "new", 2)
        _damage(repo, new[0])
        app.refresh()
        _settle(loop, app)
        warmed = [u for u in new[1:] if app.cache.peek(u) is not None]
        assert app.cache.peek(new[0]) is None
    finally:
        app.close()
        loop.close()
    assert warmed == new[1:]


def test_the_prewarm_queue_holds_one_entry_per_instance_however_often_it_changes(
    repo, make_instance
):
    uuids = _add(repo, make_instance, 3, "vm", 1)
    app = create_app(repo, ServerSettings())
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        loader = app.loader
        loader._last_miss = loop.time() + 3600  # guests keep missing: prewarm waits
        for revision in range(2, 2002):  # an operator's script updating in a loop
            entries = [dataclasses.replace(app.index.entries[u], revision=revision) for u in uuids]
            loader.prewarm(entries, evict=True)
        queued = loader.queued
        if loader._retry is not None:
            loader._retry.cancel()
            loader._retry = None
    finally:
        app.close()
        loop.close()
    assert len(queued) <= len(uuids)
    assert all(entry.revision == 2001 for entry, _ in queued.values())


def test_an_admin_refresh_from_a_worker_thread_changes_state_on_the_loop_only(repo, make_instance):
    """The admin API calls ``refresh`` through a thread pool; the index, the cache and the
    loader belong to the event loop's thread (the prewarm it starts uses loop timers)."""
    import threading

    _add(repo, make_instance, 2, "vm", 1)
    app = create_app(repo, ServerSettings())
    loop = asyncio.new_event_loop()
    loop.set_debug(True)  # asyncio then refuses loop calls from another thread
    threads: list[int] = []
    app.index.on_change(lambda changed: threads.append(threading.get_ident()))
    try:
        app.start(loop)
        _settle(loop, app)
        loop_thread = threading.get_ident()
        added = _add(repo, make_instance, 1, "new", 2)[0]
        app.loader._last_miss = loop.time() + 3600  # a guest missed just now

        async def admin_write() -> None:
            await loop.run_in_executor(None, app.refresh)
            assert added in app.index.entries  # refreshed before the write is answered

        loop.run_until_complete(admin_write())
        app.loader._last_miss = 0.0
        if app.loader._retry is not None:
            app.loader._retry.cancel()
            app.loader._retry = None
        app.loader._start()
        _settle(loop, app)
        warmed = app.cache.peek(added)
    finally:
        app.close()
        loop.close()
    assert threads and set(threads) == {loop_thread}
    assert warmed is not None
