"""Every path of both trees, over real HTTP, as the renderer produced it."""

from __future__ import annotations

import pytest

from wincloud.tree import EC2_VERSIONS, OPENSTACK_VERSIONS, render_http


def test_every_rendered_path_is_served_byte_for_byte(client, repo, local_instance):
    tree = render_http(repo.get(local_instance.uuid).instance)
    for path, body in tree.items():
        response = client.get("/" + path)
        assert response.status_code == 200, path
        assert response.content == body, path


@pytest.mark.parametrize("version", [*OPENSTACK_VERSIONS, "latest"])
def test_openstack_meta_data_json_has_the_instance(client, local_instance, version):
    response = client.get(f"/openstack/{version}/meta_data.json")
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    assert data["uuid"] == local_instance.uuid
    assert data["hostname"] == local_instance.hostname
    assert "admin_pass" not in data


@pytest.mark.parametrize("version", [*EC2_VERSIONS, "latest"])
def test_ec2_instance_id_in_every_version(client, local_instance, version):
    assert client.get(f"/{version}/meta-data/instance-id").text == local_instance.ec2_id


def test_version_lists(client):
    assert client.get("/openstack").text.split("\n") == [*OPENSTACK_VERSIONS, "latest"]
    assert client.get("/").text.split("\n") == [*EC2_VERSIONS, "latest"]


@pytest.mark.parametrize(
    "path",
    ["/openstack/latest/", "/openstack//latest", "/openstack/latest?x=1", "/latest/meta-data/"],
)
def test_trailing_slashes_and_queries_are_ignored(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/openstack/2012-08-10/network_data.json",
        "/openstack/2015-10-15/vendor_data2.json",
        "/openstack/1999-01-01/meta_data.json",
        "/latest/meta-data/nope",
        "/2009-04-04/meta-data/public-keys/7/openssh-key",
        "/nothing",
    ],
)
def test_missing_paths_answer_404(client, path):
    assert client.get(path).status_code == 404


def test_user_data_404_when_none(repo, server, local_instance):
    repo.update(local_instance.model_copy(update={"user_data": None}))
    with server.client() as c:
        assert c.get("/openstack/latest/user_data").status_code == 404
        assert c.get("/latest/user-data").status_code == 404
        assert "user_data" not in c.get("/openstack/latest").text


def test_an_updated_record_is_served_at_once(repo, client, local_instance):
    assert client.get("/latest/meta-data/hostname").text == local_instance.hostname
    repo.update(local_instance.model_copy(update={"hostname": "renamed-01"}))
    assert client.get("/latest/meta-data/hostname").text == "renamed-01"
    assert client.get("/openstack/latest/meta_data.json").json()["hostname"] == "renamed-01"


def test_unknown_caller_gets_404_and_no_data(server):
    with server.client(source="127.0.0.9") as stranger:
        for path in ["/openstack/latest/meta_data.json", "/latest/meta-data/", "/", "/openstack"]:
            response = stranger.get(path)
            assert response.status_code == 404
            assert b"uuid" not in response.content


def test_writes_are_refused_outside_password(client):
    assert client.post("/openstack/latest/meta_data.json", content=b"x").status_code == 405
    assert client.delete("/latest/meta-data/hostname").status_code == 405


def test_head_answers_like_get_without_body(client):
    response = client.head("/openstack/latest/meta_data.json")
    assert response.status_code == 200
    assert response.content == b""


def test_removed_instance_is_no_longer_served(repo, client, local_instance):
    assert repo.remove(local_instance.uuid)
    assert client.get("/openstack/latest/meta_data.json").status_code == 404


def test_a_record_added_again_under_the_same_uuid_is_served_afresh(repo, client, local_instance):
    """Both incarnations start at revision 1: the cache must still tell them apart."""
    assert client.get("/latest/meta-data/hostname").text == local_instance.hostname
    assert repo.remove(local_instance.uuid)
    repo.add(local_instance.model_copy(update={"hostname": "rebuilt-01"}))
    assert client.get("/latest/meta-data/hostname").text == "rebuilt-01"


def test_an_oversized_request_header_is_refused(server):
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(server.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        try:
            sock.sendall(b"GET /openstack HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000)
            sock.sendall(b"\r\n\r\n")
            answer = sock.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            answer = b""  # refused by closing the connection: also fine
    # Refused (4xx or closed), never answered with data.
    assert answer.startswith(b"HTTP/1.1 4") or answer == b""
