"""The password endpoint: read, write once, size limit, methods, durability."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.server_harness import running_server
from wincloud.store import open_repo

PW = "/openstack/2013-04-04/password"


def test_unset_password_reads_empty_200(client):
    response = client.get(PW)
    assert response.status_code == 200
    assert response.content == b""


def test_posted_password_reads_back(client):
    assert client.post(PW, content=b"Y2lwaGVydGV4dA==").status_code == 200
    assert client.get(PW).content == b"Y2lwaGVydGV4dA=="
    assert client.get("/openstack/latest/password").content == b"Y2lwaGVydGV4dA=="


def test_second_post_answers_409_and_keeps_the_first(client):
    assert client.post(PW, content=b"first").status_code == 200
    assert client.post(PW, content=b"second").status_code == 409
    assert client.get(PW).content == b"first"


def test_concurrent_posts_store_exactly_one(server):
    def post(i: int) -> int:
        with server.client() as c:
            return c.post(PW, content=f"value-{i}".encode()).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(post, range(16)))
    assert codes.count(200) == 1
    assert codes.count(409) == 15


@pytest.mark.parametrize("size", [1021, 5000, 200_000])
def test_oversized_password_answers_400_and_stores_nothing(client, size):
    assert client.post(PW, content=b"x" * size).status_code == 400
    assert client.get(PW).content == b""


def test_largest_allowed_password_is_stored(client):
    assert client.post(PW, content=b"x" * 1020).status_code == 200


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_answer_400(client, method):
    assert client.request(method, PW, content=b"x").status_code == 400


def test_versions_before_2013_04_04_have_no_password(client):
    assert client.get("/openstack/2012-08-10/password").status_code == 404
    assert client.post("/openstack/2012-08-10/password", content=b"x").status_code == 405


def test_password_survives_a_restart(db_url, repo, local_instance):
    with running_server(repo) as srv, srv.client() as c:
        assert c.post(PW, content=b"durable").status_code == 200
    reopened = open_repo(db_url)
    try:
        with running_server(reopened) as srv, srv.client() as c:
            assert c.get(PW).content == b"durable"
    finally:
        reopened.close()


def test_an_instance_cannot_read_anothers_password(repo, make_instance):
    repo.add(make_instance(fixed_ips=["127.0.0.1"]))
    repo.add(make_instance(fixed_ips=["127.0.0.2"]))
    with running_server(repo) as srv:
        with srv.client("127.0.0.1") as a, srv.client("127.0.0.2") as b:
            assert a.post(PW, content=b"mine").status_code == 200
            assert b.get(PW).content == b""
            assert b.post(PW, content=b"theirs").status_code == 200
            assert a.get(PW).content == b"mine"


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_an_empty_post_answers_400_and_leaves_the_endpoint_open(client, body):
    assert client.post(PW, content=body).status_code == 400
    assert client.post(PW, content=b"real").status_code == 200
    assert client.get(PW).content == b"real"
