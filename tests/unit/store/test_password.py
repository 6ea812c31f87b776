"""The encrypted password an instance posts: write-once, whoever races."""

from __future__ import annotations

import threading

import pytest

from wincloud.errors import NotFound


def test_stored_password_reads_back(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.store_password(inst.uuid, b"\x00ciphertext\xff") is True
    assert repo.get_password(inst.uuid) == b"\x00ciphertext\xff"


def test_second_password_is_refused_and_first_kept(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.store_password(inst.uuid, b"first") is True
    assert repo.store_password(inst.uuid, b"second") is False
    assert repo.get_password(inst.uuid) == b"first"


def test_password_of_unknown_instance_is_not_found(repo):
    with pytest.raises(NotFound):
        repo.store_password("8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012", b"x")
    with pytest.raises(NotFound):
        repo.store_password("not-a-uuid", b"x")


def test_password_not_set_reads_as_none(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.get_password(inst.uuid) is None
    assert repo.get_password("8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012") is None
    assert repo.get_password("not-a-uuid") is None


def test_has_password_shows_in_get_and_list(repo, new_instance):
    inst = repo.add(new_instance()).instance
    repo.store_password(inst.uuid, b"c")
    got = repo.get(inst.uuid)
    assert got is not None
    assert got.has_password is True
    assert [s.has_password for s in repo.list()] == [True]


def test_update_keeps_the_password(repo, new_instance):
    inst = repo.add(new_instance()).instance
    repo.store_password(inst.uuid, b"kept")
    assert repo.update(inst).has_password is True
    assert repo.get_password(inst.uuid) == b"kept"
    assert repo.store_password(inst.uuid, b"again") is False


def test_concurrent_posts_store_exactly_one(repo, new_instance):
    inst = repo.add(new_instance()).instance
    posts = [f"cipher-{i}".encode() for i in range(8)]
    start = threading.Barrier(len(posts))
    winners: list[bytes] = []
    errors: list[BaseException] = []

    def post(body: bytes) -> None:
        start.wait()
        try:
            if repo.store_password(inst.uuid, body):
                winners.append(body)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(body,)) for body in posts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(winners) == 1
    assert repo.get_password(inst.uuid) == winners[0]


def test_a_cleared_password_can_be_posted_again(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.store_password(inst.uuid, b"first")
    assert repo.clear_password(inst.uuid) is True
    assert repo.get_password(inst.uuid) is None
    assert repo.store_password(inst.uuid, b"second")
    assert repo.get_password(inst.uuid) == b"second"
    assert repo.clear_password(inst.uuid) is True
    assert repo.clear_password(inst.uuid) is False
