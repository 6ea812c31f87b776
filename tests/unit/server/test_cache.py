"""Rendered trees and their finished responses (server/cache.py)."""

from __future__ import annotations

from wincloud.server.cache import Rendered, TreeCache
from wincloud.server.responses import ok_response
from wincloud.store.changes import IndexEntry
from wincloud.tree import render_http


def _entry(uuid: str, revision: int = 1) -> IndexEntry:
    return IndexEntry(uuid, revision, "2026-12-03T00:00:00", "", ())


def test_a_part_is_answered_in_full_once_one_of_its_paths_was_asked_for(make_instance):
    instance = make_instance(user_data="#!/bin/sh\necho hi\n")
    cache = TreeCache(max_items=10, max_bytes=10_000_000)
    tree = Rendered(instance, _entry(instance.uuid))
    cache.put(tree)
    assert cache.response(tree, "openstack/latest/meta_data.json", False) is not None
    expected = render_http(instance)
    for path in ("openstack/latest/user_data", "openstack/latest/network_data.json"):
        assert tree.responses[path] == ok_response(
            expected[path],
            "application/json" if path.endswith(".json") else "text/plain; charset=utf-8",
        )
    assert not any(path.startswith("openstack/2013-04-04") for path in tree.responses)
    assert cache.bytes == tree.size


def test_small_answers_equal_across_trees_are_built_once(make_instance):
    one = make_instance(hostname="one", fixed_ips=["10.0.0.1"])
    two = make_instance(hostname="two", fixed_ips=["10.0.0.2"])
    cache = TreeCache(max_items=10, max_bytes=10_000_000)
    trees = [Rendered(i, _entry(i.uuid)) for i in (one, two)]
    for tree in trees:
        cache.put(tree)
    same = "latest/meta-data/instance-action"  # "none" for every instance
    own = "latest/meta-data/hostname"
    first, second = (cache.response(t, same, False) for t in trees)
    assert first == second and first is second
    mine, theirs = (cache.response(t, own, False) for t in trees)
    assert mine is not None and theirs is not None
    assert mine.endswith(b"one") and theirs.endswith(b"two")
    # Each tree still counts what it holds in full: the bound never depends on the sharing.
    assert cache.bytes == sum(t.size for t in trees)
    assert all(t.size > len(first) for t in trees)
