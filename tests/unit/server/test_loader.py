"""Tree misses coalesced into batched reads (server/loader.py): every caller gets exactly its
own record, a bad record fails only its own callers, and a storm costs few reads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from wincloud.errors import ConfigError, StoreError
from wincloud.model import load_stored_instance
from wincloud.server.app import create_app
from wincloud.server.settings import ServerSettings


def _app(repo: Any, count: int, make_instance: Any) -> tuple[Any, list[str]]:
    uuids = []
    for i in range(count):
        stored = repo.add(
            make_instance(
                name=f"vm-{i}", hostname=f"vm-{i}", fixed_ips=[f"10.1.{i // 250}.{i % 250 + 1}"]
            )
        )
        uuids.append(stored.instance.uuid)
    return create_app(repo, ServerSettings()), uuids


def _run(app: Any, coro_factory: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        return loop.run_until_complete(coro_factory())
    finally:
        app.close()
        loop.close()


def test_a_storm_of_misses_is_read_in_few_batches_and_each_caller_gets_its_own_tree(
    repo, make_instance
):
    app, uuids = _app(repo, 300, make_instance)

    async def storm() -> list[Any]:
        entries = [app.index.entries[u] for u in uuids]
        # Every caller twice: the second joins the first's pending read.
        return await asyncio.gather(*(app._rendered(e) for e in entries + entries))

    trees = _run(app, storm)
    assert len(trees) == 600
    for uuid, tree in zip(uuids + uuids, trees, strict=True):
        assert tree is not None
        assert tree.uuid == uuid
        assert str(tree.instance.uuid) == uuid  # the record read is the caller's own
    # 300 distinct misses, at most 128 per read: a handful of reads, not 300.
    assert app.loader.batches <= 10
    assert len(app.cache) == 300


def test_a_bad_record_fails_only_its_own_callers(repo, make_instance):
    app, uuids = _app(repo, 20, make_instance)
    bad = uuids[7]
    with repo.engine.begin() as conn:  # damaged behind the service's back, same revision
        conn.execute(
            sa.text("UPDATE instances SET record = :r WHERE uuid = :u"),
            {"r": '{"uuid": 5, "name": []}', "u": bad},
        )

    async def storm() -> list[Any]:
        entries = [app.index.entries[u] for u in uuids]
        return await asyncio.gather(*(app._rendered(e) for e in entries), return_exceptions=True)

    results = _run(app, storm)
    for uuid, result in zip(uuids, results, strict=True):
        if uuid == bad:
            assert isinstance(result, StoreError)
            assert bad in result.message
        else:
            assert result is not None and not isinstance(result, BaseException)
            assert result.uuid == uuid


def test_a_record_changed_since_the_index_is_none_for_that_caller_only(repo, make_instance):
    app, uuids = _app(repo, 5, make_instance)
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        stale = app.index.entries[uuids[2]]
        entries = [app.index.entries[u] for u in uuids]
        instance = repo.get(uuids[2]).instance.model_copy(update={"hostname": "renamed"})
        repo.update(instance)  # a new revision; the index has not caught up yet
        got = app.loader._read(entries)
    finally:
        app.close()
        loop.close()
    assert got[(stale.uuid, stale.revision, stale.incarnation)] is None
    assert sum(v is None for v in got.values()) == 1


def test_a_stored_record_is_loaded_by_structure_and_reported_like_a_written_one():
    with pytest.raises(ConfigError) as err:
        load_stored_instance({"uuid": "not-a-uuid", "name": "x"}, source="record X")
    assert err.value.subject == "record X"
    assert "uuid" in err.value.message
    with pytest.raises(ConfigError):
        load_stored_instance(["not", "a", "mapping"], source="record Y")


# -- prewarm: trees rendered before their guests ask ---------------------------------------


def _settle(loop: asyncio.AbstractEventLoop, app: Any, seconds: float = 20.0) -> None:
    async def wait() -> None:
        deadline = loop.time() + seconds
        while (app.loader.queued or app.loader._warming) and loop.time() < deadline:
            await asyncio.sleep(0.005)

    loop.run_until_complete(wait())


def test_a_record_added_after_start_is_rendered_before_its_guest_asks(repo, make_instance):
    from wincloud.server.app import Request
    from wincloud.server.identify import Peer

    app, _ = _app(repo, 3, make_instance)
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        added = repo.add(make_instance(name="late", hostname="late", fixed_ips=["10.9.0.1"]))
        uuid = added.instance.uuid
        app.refresh()  # what the change probe does on the next request or timer tick
        _settle(loop, app)
        tree = app.cache.peek(uuid)
        assert tree is not None and tree.is_current(app.index.entries[uuid])
        assert "openstack/latest/meta_data.json" in tree.responses  # built, not just rendered
        assert "latest/meta-data/hostname" in tree.responses
        before = app.loader.batches
        peer = Peer.of("10.9.0.1", app.settings)
        status, who, raw = app.answer(Request("GET", "/latest/meta-data/hostname", {}, peer))
        assert (status, who) == (200, uuid)
        assert raw.endswith(b"\r\n\r\nlate")
        assert app.loader.batches == before  # answered from the prewarmed tree
    finally:
        app.close()
        loop.close()


def test_a_prewarmed_tree_is_never_served_after_its_record_changed(repo, make_instance):
    from wincloud.server.app import Request
    from wincloud.server.identify import Peer

    app, uuids = _app(repo, 2, make_instance)
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        assert app.cache.peek(uuids[0]) is not None
        instance = repo.get(uuids[0]).instance.model_copy(update={"hostname": "changed"})
        repo.update(instance)
        app.refresh()
        peer = Peer.of("10.1.0.1", app.settings)
        result = app.answer(Request("GET", "/latest/meta-data/hostname", {}, peer))
        status, _, raw = result if isinstance(result, tuple) else loop.run_until_complete(result)
        assert status == 200
        assert raw.endswith(b"\r\n\r\nchanged")
    finally:
        app.close()
        loop.close()


def test_the_start_prewarm_fills_free_room_only_and_evicts_nothing(repo, make_instance):
    import dataclasses

    _app(repo, 40, make_instance)
    one = 30_000  # about one prewarmed tree of this record, in bytes
    app = create_app(repo, dataclasses.replace(ServerSettings(), cache_bytes=10 * one))
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        assert 1 <= len(app.cache) < 40
        assert app.cache.bytes <= 0.9 * app.cache.max_bytes
        assert app.cache.evictions == 0
        assert app.loader.prewarmed == len(app.cache)
    finally:
        app.close()
        loop.close()


def test_prewarm_off_renders_nothing_until_asked(repo, make_instance):
    import dataclasses

    _app(repo, 5, make_instance)
    app = create_app(repo, dataclasses.replace(ServerSettings(), prewarm=False))
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        _settle(loop, app)
        assert len(app.cache) == 0
        assert app.loader.prewarmed == 0
    finally:
        app.close()
        loop.close()


def test_prewarm_waits_while_guests_are_missing(tmp_path, make_instance):
    """(SQLite only: no listener thread takes the change in before the guest's miss.)"""
    from wincloud.store import open_repo

    with open_repo(f"sqlite:///{tmp_path / 'w.db'}", create=True) as repo:
        app, uuids = _app(repo, 3, make_instance)
        loop = asyncio.new_event_loop()
        try:
            app.start(loop)
            _settle(loop, app)
            warmed = app.loader.prewarmed
            app.cache.drop(uuids[0])
            for i in range(5):
                repo.add(make_instance(name=f"new-{i}", fixed_ips=[f"10.8.0.{i + 1}"]))

            async def miss_then_change() -> None:
                missed = app.loader.load(app.index.entries[uuids[0]])  # a guest's miss
                app.refresh()  # five new records queue for prewarm
                assert app.loader.queued
                assert not app.loader._warming  # a guest missed just now: not yet
                assert await missed is not None

            loop.run_until_complete(miss_then_change())
            _settle(loop, app)
            assert app.loader.prewarmed == warmed + 5
        finally:
            app.close()
            loop.close()


def test_the_start_prewarm_waits_while_guests_are_answered(repo, make_instance):
    """A storm that begins as the service starts is answered from its hits; the start's
    prewarm (trees no guest asked for) rendering in the pool took the interpreter from it.
    New and changed records still prewarm: their guests boot next."""
    _app(repo, 6, make_instance)
    app = create_app(repo, ServerSettings())
    loop = asyncio.new_event_loop()
    ticking = True

    def answer_one() -> None:  # a guest's request answered every 10 ms
        app.metrics.request(True, 200)
        if ticking:
            loop.call_later(0.01, answer_one)

    try:
        answer_one()
        app.start(loop)
        loop.run_until_complete(asyncio.sleep(0.4))
        assert app.loader.prewarmed == 0  # busy answering: the start's prewarm waits
        assert len(app.loader.queued) == 6
        added = repo.add(make_instance(name="late", hostname="late", fixed_ips=["10.9.0.7"]))
        app.refresh()
        loop.run_until_complete(asyncio.sleep(0.4))
        assert app.cache.peek(added.instance.uuid) is not None  # a new record: prewarmed
        assert app.loader.prewarmed == 1
        ticking = False
        _settle(loop, app)
        assert app.loader.prewarmed == 7  # quiet again: the start's prewarm went on
    finally:
        app.close()
        loop.close()
