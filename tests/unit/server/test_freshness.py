"""A request that starts after a change has committed sees it: the in-memory index follows the
store's change feed, under load too; a store outage gives 503 and ends by itself."""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
import sqlalchemy as sa

from tests.server_harness import running_server
from wincloud.server.settings import Freshness, ServerSettings

MOVING = "127.0.0.5"


def _hostname(srv, source: str) -> str | int:
    with srv.client(source) as c:
        response = c.get("/latest/meta-data/hostname")
    return response.text if response.status_code == 200 else response.status_code


def test_a_moved_address_is_never_answered_stale_under_load(repo, make_instance):
    a = repo.add(make_instance(fixed_ips=[MOVING], hostname="alpha")).instance
    b = repo.add(make_instance(fixed_ips=["127.0.0.6"], hostname="beta")).instance
    repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="load"))
    stop = threading.Event()
    served = [0]

    def load() -> None:
        with running.client("127.0.0.1") as c:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                assert c.get("/openstack/latest/meta_data.json").status_code == 200
                served[0] += 1

    with running_server(repo) as running:
        workers = [threading.Thread(target=load, daemon=True) for _ in range(3)]
        for worker in workers:
            worker.start()
        stale = []
        try:
            names = {a.uuid: "alpha", b.uuid: "beta"}
            holder, spare = a.uuid, b.uuid
            for step in range(15):
                src, dst = repo.get(holder).instance, repo.get(spare).instance
                repo.update(src.model_copy(update={"fixed_ips": [f"127.0.1.{step + 1}"]}))
                repo.update(dst.model_copy(update={"fixed_ips": [MOVING]}))
                seen = _hostname(running, MOVING)
                if seen != names[spare]:
                    stale.append((step, seen))
                holder, spare = spare, holder
        finally:
            stop.set()
            for worker in workers:
                worker.join(timeout=30)
    assert stale == []
    assert served[0] > 0


def test_a_removed_record_is_gone_at_the_next_request(repo, make_instance):
    gone = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    with running_server(repo) as srv, srv.client() as c:
        assert c.get("/openstack/latest/meta_data.json").status_code == 200
        repo.remove(gone.uuid)
        assert c.get("/openstack/latest/meta_data.json").status_code == 404
        again = repo.add(make_instance(uuid=gone.uuid, fixed_ips=["127.0.0.1"], hostname="anew"))
        assert c.get("/latest/meta-data/hostname").text == again.instance.hostname


def test_a_password_written_or_cleared_elsewhere_is_seen_at_once(repo, make_instance):
    instance = repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance
    with running_server(repo) as srv, srv.client() as c:
        assert c.get("/openstack/latest/password").content == b""
        assert repo.store_password(instance.uuid, b"c2VjcmV0")
        assert c.get("/openstack/latest/password").content == b"c2VjcmV0"
        assert repo.clear_password(instance.uuid)
        assert c.get("/openstack/latest/password").content == b""


def _pg_only(repo) -> None:
    if repo.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's LISTEN/NOTIFY and server outages")


def test_notify_mode_sees_a_change_within_a_bounded_delay(repo, make_instance):
    _pg_only(repo)
    instance = repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="before")).instance
    settings = ServerSettings(freshness=Freshness.NOTIFY)
    with running_server(repo, settings, strict_pg=False) as srv, srv.client() as c:
        assert c.get("/latest/meta-data/hostname").text == "before"
        repo.update(instance.model_copy(update={"hostname": "after"}))
        deadline = time.monotonic() + 5
        while c.get("/latest/meta-data/hostname").text != "after":
            assert time.monotonic() < deadline, "the change was not seen within 5 s"
            time.sleep(0.01)


def _superuser_engine(repo) -> sa.Engine:
    url = repo.engine.url.set(username="postgres", password=None, database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def _allow_connections(admin: sa.Engine, database: str, allow: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {allow}'))
        if not allow:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            )


def test_a_database_outage_gives_503_with_retry_after_and_ends_by_itself(
    repo, make_instance, caplog
):
    _pg_only(repo)
    repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="steady"))
    admin = _superuser_engine(repo)
    database = repo.engine.url.database
    caplog.set_level(logging.INFO, logger="wincloud")
    with running_server(repo, admin=True) as srv, srv.client() as c:
        assert c.get("/latest/meta-data/hostname").text == "steady"
        _allow_connections(admin, database, False)
        try:
            deadline = time.monotonic() + 10
            while (response := c.get("/latest/meta-data/hostname")).status_code != 503:
                assert time.monotonic() < deadline, "no 503 within 10 s of the outage"
                time.sleep(0.05)
            assert int(response.headers["retry-after"]) > 0
            for _ in range(20):
                assert c.get("/openstack/latest/meta_data.json").status_code == 503
            health = httpx.get(f"{srv.admin_url}/healthz", timeout=10)
            assert health.status_code == 503
        finally:
            _allow_connections(admin, database, True)
        deadline = time.monotonic() + 15
        while c.get("/latest/meta-data/hostname").status_code != 200:
            assert time.monotonic() < deadline, "no recovery within 15 s of the database's return"
            time.sleep(0.05)
    admin.dispose()
    down = [r for r in caplog.records if "store unavailable" in r.getMessage()]
    back = [r for r in caplog.records if "store available again" in r.getMessage()]
    assert len(down) == 1
    assert len(back) == 1
    assert not [r for r in caplog.records if r.exc_info]


def test_a_record_changed_while_its_tree_loads_is_answered_from_the_new_revision(
    repo, make_instance
):
    """The load finds another revision than the index had: the service catches up and answers
    from the new record (it neither serves the old one nor gives up)."""
    import asyncio

    from wincloud.server.app import Request, create_app
    from wincloud.server.identify import Peer

    instance = repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="old")).instance
    settings = ServerSettings(freshness=Freshness.STRICT)
    app = create_app(repo, settings)
    loop = asyncio.new_event_loop()
    try:
        app.start(loop)
        stale = app.index.entries[instance.uuid]
        repo.update(instance.model_copy(update={"hostname": "new"}))
        req = Request("GET", "/latest/meta-data/hostname", {}, Peer.of("127.0.0.1", settings))
        status, uuid, raw = loop.run_until_complete(
            app._answer_after_render(req, stale, "latest/meta-data/hostname")
        )
        assert (status, uuid) == (200, instance.uuid)
        assert raw.endswith(b"\r\n\r\nnew")
    finally:
        app.close()
        loop.close()
