"""The encrypted password an instance posts: write-once, whoever races."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from wincloud.errors import NotFound, StoreError


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


class LockHolder:
    """Another writer holding the lock a password write needs, released on a timer (bounded)
    or when the test is done: an unbounded write would wait for the release and succeed."""

    def __init__(self, db_url: str, release_after: float) -> None:
        self._engine = sa.create_engine(db_url)
        self._conn = self._engine.connect()
        if self._engine.dialect.name == "sqlite":
            driver = self._conn.connection.driver_connection
            assert driver is not None
            driver.isolation_level = None
            driver.execute("BEGIN IMMEDIATE")  # SQLite's single write lock
        else:
            self._conn.execute(sa.text("LOCK TABLE passwords IN EXCLUSIVE MODE"))
        self._released = threading.Event()
        self._timer = threading.Timer(release_after, self.release)
        self._timer.start()

    def release(self) -> None:
        if self._released.is_set():
            return
        self._released.set()
        if self._engine.dialect.name == "sqlite":
            driver = self._conn.connection.driver_connection
            assert driver is not None
            driver.execute("ROLLBACK")
        else:
            self._conn.rollback()

    def close(self) -> None:
        self._timer.cancel()
        self.release()
        self._conn.close()
        self._engine.dispose()


def test_password_write_gives_up_after_its_timeout_and_stores_nothing(repo, db_url, new_instance):
    inst = repo.add(new_instance()).instance
    holder = LockHolder(db_url, release_after=4.0)
    try:
        with pytest.raises(StoreError, match="cannot store the password") as err:
            repo.store_password(inst.uuid, b"late", timeout=0.3)
        reason = str(err.value).lower()
        assert "locked" in reason or "timeout" in reason
    finally:
        holder.close()
    assert repo.get_password(inst.uuid) is None
    # The connection's usual patience is back for the next caller, and the guest may post again.
    assert repo.store_password(inst.uuid, b"again", timeout=0.3) is True
    assert repo.get_password(inst.uuid) == b"again"


def test_password_write_without_timeout_waits_for_the_lock(repo, db_url, new_instance):
    inst = repo.add(new_instance()).instance
    holder = LockHolder(db_url, release_after=0.5)
    try:
        assert repo.store_password(inst.uuid, b"patient") is True
    finally:
        holder.close()
    assert repo.get_password(inst.uuid) == b"patient"
