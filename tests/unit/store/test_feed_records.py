"""ChangeFeed.records: the batched reads of a boot storm's tree misses (SQLite and PostgreSQL
through the db_url fixture)."""

from __future__ import annotations

import json
import uuid as uuidlib

import pytest

from wincloud.store.changes import ChangeFeed


@pytest.fixture
def stored(repo, new_instance):
    """140 instances: more than the largest compiled batch (128)."""
    return {repo.add(new_instance()).instance.uuid: None for _ in range(140)}


@pytest.mark.parametrize("count", [2, 7, 8, 9, 33, 128, 129, 140])
def test_a_batch_reads_exactly_the_records_asked_for(repo, stored, count):
    feed = ChangeFeed(repo.engine, repo.url)
    asked = list(stored)[:count]
    found = feed.records(asked)
    assert sorted(found) == sorted(asked)
    for uuid, record in found.items():
        assert json.loads(record.record)["uuid"] == uuid
        assert record == feed.record(uuid)


def test_unknown_and_repeated_uuids_are_left_out_once(repo, stored):
    feed = ChangeFeed(repo.engine, repo.url)
    known = list(stored)[:3]
    missing = [str(uuidlib.uuid4()) for _ in range(4)]
    found = feed.records([known[0], *missing, known[1], known[0], known[2]])
    assert sorted(found) == sorted(known)


def test_a_batch_sees_a_revision_committed_before_it(repo, stored):
    feed = ChangeFeed(repo.engine, repo.url)
    first, second = list(stored)[:2]
    before = feed.records([first, second])[first].revision
    instance = repo.get(first).instance
    repo.update(instance.model_copy(update={"hostname": "renamed"}))
    after = feed.records([first, second])
    assert after[first].revision == before + 1
    assert json.loads(after[first].record)["hostname"] == "renamed"
