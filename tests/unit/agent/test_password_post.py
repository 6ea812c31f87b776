"""The password post knows whether it took: a post whose answer never comes is posted again,
a 409 is resolved by reading the stored value back, and the local password changes only when
the service holds this agent's own ciphertext.

The service is an httpx.MockTransport over a write-once password store that can commit a
post and then fail to answer it (the agent's timeout fires while the server commits)."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wincloud.agent.config import AgentConfig
from wincloud.agent.http import create_client
from wincloud.agent.run import Agent, ExitStatus
from wincloud.agent.state import load_state
from wincloud.secret import Secret

from .conftest import with_section

UUID = "11111111-2222-4333-8444-555555555555"
URL = "http://md.test"
PASSWORD_PATH = "/openstack/latest/password"


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class SlowCommitService:
    """Nova's password endpoint, write-once, with faults: the first ``silent_posts`` POSTs
    are committed (when nothing is stored yet) but answered with a read timeout."""

    def __init__(self, public_key: str, *, silent_posts: int = 0, held: bytes = b"") -> None:
        self.silent_posts = silent_posts
        self.held = held
        self.posts = 0
        meta = {"uuid": UUID, "public_keys": {"k": public_key}}
        self.files = {
            "/openstack": b"latest\n",
            "/openstack/latest/meta_data.json": json.dumps(meta).encode(),
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == PASSWORD_PATH:
            if request.method == "GET":
                return httpx.Response(200, content=self.held)
            self.posts += 1
            if self.held:
                return httpx.Response(409)
            self.held = request.content  # committed ...
            if self.posts <= self.silent_posts:  # ... but the answer never arrives
                raise httpx.ReadTimeout("timed out", request=request)
            return httpx.Response(200)
        body = self.files.get(request.url.path)
        return httpx.Response(200, content=body) if body is not None else httpx.Response(404)


def public_line(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def boot(platform, service, *, attempts: int = 3):
    config = AgentConfig(sources=["openstack_http"], plugins=["users", "password"])
    config = with_section(config, "openstack_http", url=URL, timeout=1)
    config = with_section(config, "retry", attempts=attempts)
    client = create_client(transport=httpx.MockTransport(service))
    slept: list[float] = []
    try:
        report = Agent(config, platform, http=lambda: client, sleep=slept.append).run()
    finally:
        client.close()
    return report


def decrypt(key, sealed: bytes) -> Secret:
    return Secret(key.decrypt(base64.b64decode(sealed), padding.PKCS1v15()).decode())


def test_a_post_committed_but_unanswered_is_confirmed_and_the_password_set(
    platform, rsa_key, caplog
):
    service = SlowCommitService(public_line(rsa_key), silent_posts=1)
    with caplog.at_level(logging.INFO, logger="wincloud"):
        report = boot(platform, service)
    assert report.status is ExitStatus.OK, report
    assert report.outcomes["password"] == "done"
    assert service.posts == 2
    assert platform.users.users["admin"].password == decrypt(rsa_key, service.held)
    assert "read back matches=true" in caplog.text


def test_someone_elses_password_is_never_taken_for_ours(platform, rsa_key):
    class Racing(SlowCommitService):
        def __call__(self, request):
            if request.method == "POST" and not self.held:
                self.held = b"c29tZW9uZSBlbHNl"  # another poster wins meanwhile
            return super().__call__(request)

    service = Racing(public_line(rsa_key))
    report = boot(platform, service)
    assert report.outcomes["password"] == "skipped"
    assert platform.users.users["admin"].password is None
    assert service.held == b"c29tZW9uZSBlbHNl"


def test_the_ciphertext_is_in_the_state_before_it_is_posted(platform, rsa_key):
    seen_in_state: list[bool] = []

    class Checking(SlowCommitService):
        def __call__(self, request):
            if request.method == "POST":
                memo = load_state(platform.state).memos.get("password", {})
                seen_in_state.append(memo.get("posted") == request.content.decode())
            return super().__call__(request)

    boot(platform, Checking(public_line(rsa_key)))
    assert seen_in_state == [True]
    assert "posted" not in load_state(platform.state).memos.get("password", {})


def test_a_post_never_answered_fails_and_the_next_boot_says_why(platform, rsa_key, caplog):
    """Every answer is lost, though the first post was committed: the plugin fails. On the
    next boot the service holds our own ciphertext, which the account never got: the agent
    says so and does not claim 'already posted'."""
    service = SlowCommitService(public_line(rsa_key), silent_posts=99)

    def lost(request):
        if request.url.path == PASSWORD_PATH and request.method == "GET" and service.held:
            raise httpx.ReadTimeout("timed out", request=request)  # the read-back is lost too
        return service(request)

    first = boot(platform, lost, attempts=2)
    assert first.outcomes["password"] == "failed"
    assert platform.users.users["admin"].password is None
    with caplog.at_level(logging.INFO, logger="wincloud"):
        second = boot(platform, service)
    assert second.outcomes["password"] == "failed"
    assert "earlier boot" in caplog.text
    assert "already posted" not in caplog.text
    assert platform.users.users["admin"].password is None


def test_a_post_that_never_reached_the_service_is_made_again_next_boot(platform, rsa_key):
    service = SlowCommitService(public_line(rsa_key))

    def refused(request):
        if request.url.path == PASSWORD_PATH and request.method == "POST":
            raise httpx.ConnectError("refused", request=request)
        return service(request)

    assert boot(platform, refused, attempts=2).outcomes["password"] == "failed"
    second = boot(platform, service)
    assert second.outcomes["password"] == "done"
    assert platform.users.users["admin"].password == decrypt(rsa_key, service.held)
