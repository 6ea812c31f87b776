"""Who gets what: source addresses, signed proxy headers, and strict isolation."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from tests.server_harness import running_server
from wincloud.secret import Secret
from wincloud.server.identify import sign_instance_id
from wincloud.server.settings import ServerSettings

SECRET = "proxy-shared-secret-0123456789"


@pytest.fixture
def two(repo, make_instance):
    a = repo.add(make_instance(fixed_ips=["127.0.0.1"], hostname="alpha")).instance
    b = repo.add(make_instance(fixed_ips=["127.0.0.2"], hostname="beta")).instance
    return a, b


def test_each_source_address_sees_only_its_instance(repo, two):
    a, b = two
    with running_server(repo) as srv:
        with srv.client("127.0.0.1") as ca, srv.client("127.0.0.2") as cb:
            assert ca.get("/openstack/latest/meta_data.json").json()["uuid"] == a.uuid
            assert cb.get("/openstack/latest/meta_data.json").json()["uuid"] == b.uuid
            assert cb.get("/latest/meta-data/hostname").text == "beta"


def test_proxy_headers_are_ignored_without_a_secret(repo, two):
    a, b = two
    with running_server(repo) as srv, srv.client("127.0.0.1") as ca:
        headers = {"X-Instance-ID": b.uuid, "X-Instance-ID-Signature": "0" * 64}
        assert ca.get("/openstack/latest/meta_data.json", headers=headers).json()["uuid"] == a.uuid


def proxied(secret: str = SECRET):
    return ServerSettings(proxy_shared_secret=Secret(secret))


def test_signed_proxy_request_reads_the_named_instance(repo, two):
    _, b = two
    headers = {
        "X-Instance-ID": b.uuid,
        "X-Instance-ID-Signature": sign_instance_id(SECRET, b.uuid),
        "X-Forwarded-For": "10.0.0.5",
    }
    with running_server(repo, proxied()) as srv, srv.client() as c:
        assert c.get("/openstack/latest/meta_data.json", headers=headers).json()["uuid"] == b.uuid


def test_bad_signature_answers_403(repo, two):
    _, b = two
    headers = {
        "X-Instance-ID": b.uuid,
        "X-Instance-ID-Signature": sign_instance_id("x" * 20, b.uuid),
    }
    with running_server(repo, proxied()) as srv, srv.client() as c:
        response = c.get("/openstack/latest/meta_data.json", headers=headers)
        assert response.status_code == 403
        assert b.uuid not in response.text


def test_missing_signature_answers_400(repo, two):
    _, b = two
    with running_server(repo, proxied()) as srv, srv.client() as c:
        response = c.get("/latest/meta-data/", headers={"X-Instance-ID": b.uuid})
        assert response.status_code == 400


def test_signed_unknown_instance_answers_404(repo, two):
    ghost = "00000000-0000-4000-8000-000000000001"
    headers = {"X-Instance-ID": ghost, "X-Instance-ID-Signature": sign_instance_id(SECRET, ghost)}
    with running_server(repo, proxied()) as srv, srv.client() as c:
        assert c.get("/latest/meta-data/", headers=headers).status_code == 404


def test_wrong_tenant_answers_404(repo, two):
    _, b = two
    headers = {
        "X-Instance-ID": b.uuid,
        "X-Instance-ID-Signature": sign_instance_id(SECRET, b.uuid),
        "X-Tenant-ID": "someone-else",
    }
    with running_server(repo, proxied()) as srv, srv.client() as c:
        assert c.get("/latest/meta-data/", headers=headers).status_code == 404


def test_forwarded_for_counts_only_from_a_trusted_proxy(repo, two):
    with running_server(repo) as srv, srv.client("127.0.0.9") as c:
        spoofed = c.get("/latest/meta-data/", headers={"X-Forwarded-For": "127.0.0.2"})
        assert spoofed.status_code == 404
    trusted = ServerSettings(trusted_proxies=(ip_network("127.0.0.9/32"),))
    with running_server(repo, trusted) as srv, srv.client("127.0.0.9") as proxy:
        response = proxy.get("/latest/meta-data/hostname", headers={"X-Forwarded-For": "127.0.0.2"})
        assert response.text == "beta"


def test_a_client_cannot_claim_an_address_on_the_left_of_forwarded_for(repo, two):
    """A proxy appends the real client; whatever the client sent stays on the left."""
    trusted = ServerSettings(trusted_proxies=(ip_network("127.0.0.9/32"),))
    with running_server(repo, trusted) as srv, srv.client("127.0.0.9") as proxy:
        forged = {"X-Forwarded-For": "127.0.0.2, 127.0.0.77"}
        assert proxy.get("/latest/meta-data/hostname", headers=forged).status_code == 404
        assert proxy.get("/openstack/latest/password", headers=forged).status_code == 404


def test_a_request_from_an_untrusted_peer_is_identified_by_the_peer(repo, two):
    trusted = ServerSettings(trusted_proxies=(ip_network("127.0.0.9/32"),))
    with running_server(repo, trusted) as srv, srv.client("127.0.0.1") as c:
        response = c.get("/latest/meta-data/hostname", headers={"X-Forwarded-For": "127.0.0.2"})
        assert response.text == "alpha"


def test_ipv6_and_v4_mapped_callers_are_identified(repo, make_instance):
    from wincloud.server.identify import Peer, identify
    from wincloud.server.index import InstanceIndex
    from wincloud.store.changes import ChangeFeed

    six = repo.add(make_instance(fixed_ips=["fd00::7"], hostname="six")).instance
    four = repo.add(make_instance(fixed_ips=["10.1.2.3"], hostname="four")).instance
    index = InstanceIndex()
    index.replace(ChangeFeed(repo.engine, repo.url).snapshot())
    settings = ServerSettings()
    for host, want in [("fd00::7", six), ("::ffff:10.1.2.3", four), ("10.1.2.3", four)]:
        found = identify(index, settings, Peer.of(host, settings), {})
        assert isinstance(found, tuple), host
        assert found[0].uuid == want.uuid
