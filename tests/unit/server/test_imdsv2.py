"""IMDSv2 session tokens: issue, TTL bounds, required mode, binding to one instance."""

from __future__ import annotations

import pytest

from tests.server_harness import running_server
from wincloud.server.imdsv2 import TokenSigner
from wincloud.server.settings import ServerSettings, TokenMode

TTL = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN = "X-aws-ec2-metadata-token"


def get_token(client, ttl="60", **headers):
    return client.put("/latest/api/token", headers={TTL: ttl, **headers})


def test_token_put_returns_a_token_that_reads_ec2_paths(client, local_instance):
    response = get_token(client)
    assert response.status_code == 200
    assert response.headers[TTL] == "60"
    read = client.get("/latest/meta-data/instance-id", headers={TOKEN: response.text})
    assert read.text == local_instance.ec2_id


@pytest.mark.parametrize("ttl", ["0", "21601", "-5", "abc", ""])
def test_ttl_out_of_range_answers_400(client, ttl):
    assert get_token(client, ttl).status_code == 400


def test_missing_ttl_answers_400(client):
    assert client.put("/latest/api/token").status_code == 400


def test_token_path_only_takes_put(client):
    assert client.get("/latest/api/token").status_code == 405


def test_token_request_through_a_proxy_is_refused(client):
    assert get_token(client, **{"X-Forwarded-For": "10.0.0.1"}).status_code == 403


def test_optional_mode_serves_tokenless_requests(client):
    assert client.get("/latest/meta-data/instance-id").status_code == 200


def test_optional_mode_refuses_a_bad_token(client):
    assert client.get("/latest/meta-data/", headers={TOKEN: "bogus"}).status_code == 401


@pytest.fixture
def required(repo, local_instance):
    with running_server(repo, ServerSettings(token_mode=TokenMode.REQUIRED)) as srv:
        yield srv


def test_required_mode_answers_401_without_token(required):
    with required.client() as c:
        assert c.get("/latest/meta-data/instance-id").status_code == 401
        assert c.get("/2009-04-04/user-data").status_code == 401


def test_required_mode_serves_with_token(required, local_instance):
    with required.client() as c:
        token = get_token(c).text
        assert c.get("/latest/meta-data/hostname", headers={TOKEN: token}).text == (
            local_instance.hostname
        )


def test_required_mode_keeps_openstack_paths_open(required):
    with required.client() as c:
        assert c.get("/openstack/latest/meta_data.json").status_code == 200


def test_a_token_is_bound_to_the_instance_it_was_issued_to(repo, make_instance):
    repo.add(make_instance(fixed_ips=["127.0.0.1"]))
    repo.add(make_instance(fixed_ips=["127.0.0.2"]))
    with running_server(repo, ServerSettings(token_mode=TokenMode.REQUIRED)) as srv:
        with srv.client("127.0.0.1") as a, srv.client("127.0.0.2") as b:
            token_a = get_token(a).text
            assert b.get("/latest/meta-data/", headers={TOKEN: token_a}).status_code == 401


def test_tokens_expire():
    now = [1000.0]
    signer = TokenSigner(b"k" * 32, clock=lambda: now[0])
    token = signer.issue("abc", ttl=10)
    assert signer.is_valid(token, "abc")
    now[0] += 10
    assert not signer.is_valid(token, "abc")


def test_tokens_from_another_key_are_invalid():
    token = TokenSigner(b"a" * 32).issue("abc", 60)
    assert not TokenSigner(b"b" * 32).is_valid(token, "abc")
    assert not TokenSigner(b"a" * 32).is_valid(token[:-4] + "AAAA", "abc")


def test_a_signed_proxy_may_forward_a_token_request(repo, local_instance):
    from wincloud.secret import Secret
    from wincloud.server.identify import sign_instance_id

    secret = "proxy-shared-secret-0123456789"
    headers = {
        TTL: "60",
        "X-Instance-ID": local_instance.uuid,
        "X-Instance-ID-Signature": sign_instance_id(secret, local_instance.uuid),
        "X-Forwarded-For": "10.0.0.5",
    }
    settings = ServerSettings(proxy_shared_secret=Secret(secret), token_mode=TokenMode.REQUIRED)
    with running_server(repo, settings) as srv, srv.client("127.0.0.9") as proxy:
        token = proxy.put("/latest/api/token", headers=headers)
        assert token.status_code == 200
        read = proxy.get(
            "/latest/meta-data/instance-id",
            headers={**headers, TOKEN: token.text},
        )
        assert read.text == local_instance.ec2_id


def test_a_trusted_proxy_forwards_tokens_for_the_forwarded_guest(repo, make_instance):
    """A token sent with X-Forwarded-For through a trusted proxy belongs to the forwarded
    guest, not to the proxy's own address (which here is another instance's)."""
    from ipaddress import ip_network

    guest = repo.add(make_instance(fixed_ips=["10.0.0.5"])).instance
    repo.add(make_instance(fixed_ips=["127.0.0.9"]))
    settings = ServerSettings(
        trusted_proxies=(ip_network("127.0.0.9/32"),), token_mode=TokenMode.REQUIRED
    )
    forwarded = {"X-Forwarded-For": "10.0.0.5"}
    with running_server(repo, settings) as srv, srv.client("127.0.0.9") as proxy:
        token = get_token(proxy, **forwarded)
        assert token.status_code == 200
        read = proxy.get("/latest/meta-data/instance-id", headers={**forwarded, TOKEN: token.text})
        assert read.status_code == 200
        assert read.text == guest.ec2_id
        # Without the forwarded header the same token is the proxy instance's: refused.
        alone = proxy.get("/latest/meta-data/instance-id", headers={TOKEN: token.text})
        assert alone.status_code == 401


def test_a_token_from_an_address_no_instance_has_is_not_found(required):
    with required.client() as c:
        token = get_token(c).text
    with required.client("127.0.0.77") as stranger:
        assert stranger.get("/latest/meta-data/", headers={TOKEN: token}).status_code == 404


@pytest.mark.parametrize("ttl", [1, 2, 21600])
def test_a_token_is_valid_for_its_whole_ttl_whenever_in_a_second_it_was_issued(ttl):
    now = [1000.9]
    signer = TokenSigner(b"k" * 32, clock=lambda: now[0])
    token = signer.issue("abc", ttl=ttl)
    now[0] += ttl - 0.05
    assert signer.is_valid(token, "abc")
    now[0] += 1.0
    assert not signer.is_valid(token, "abc")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda t: t + "AAAA",
        lambda t: t + "=",
        lambda t: t[:10] + "!!" + t[10:],
        lambda t: t[:10] + "\n" + t[10:],
        lambda t: t.replace("-", "+").replace("_", "/"),
    ],
    ids=["appended", "padding", "junk", "newline", "alphabet"],
)
def test_only_the_exact_token_text_is_valid(spoil):
    signer = TokenSigner(b"k" * 32, clock=lambda: 1000.0)
    owners = (f"{n:08x}-1d2e-4f30-9a4b-5c6d7e8f9012" for n in range(100))  # as a uuid
    tokens = ((o, signer.issue(o, 60)) for o in owners)
    owner, token = next((o, t) for o, t in tokens if "-" in t or "_" in t)
    assert signer.is_valid(token, owner)
    assert not signer.is_valid(spoil(token), owner)
