"""The agent's HTTP sources against wincloud's own metadata service (real server, SQLite)."""

from __future__ import annotations

import base64

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from wincloud.agent.config import AgentConfig
from wincloud.agent.http import create_client
from wincloud.agent.run import Agent, ExitStatus
from wincloud.agent.sources.ec2 import Ec2Source
from wincloud.agent.sources.openstack_http import OpenStackHttpSource
from wincloud.secret import Secret

from .conftest import with_section

server_harness = pytest.importorskip("tests.server_harness")
store = pytest.importorskip("wincloud.store")


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def served(tmp_path, make_instance, rsa_key):
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    repo = store.open_repo(f"sqlite:///{tmp_path / 'md.db'}", create=True)
    instance = repo.add(
        make_instance(fixed_ips=["127.0.0.1"], public_keys={"k": public.decode()})
    ).instance
    try:
        with server_harness.running_server(repo) as running:
            yield running.url, repo, instance
    finally:
        repo.close()


def test_openstack_http_reads_our_server(make_deps, served):
    url, _, instance = served
    md = OpenStackHttpSource(
        make_deps(with_section(AgentConfig(), "openstack_http", url=url))
    ).load()
    assert (md.instance_id, md.hostname) == (instance.uuid, instance.hostname)
    assert md.network_data == instance.network_data.render()


def test_ec2_reads_our_server_with_a_token(make_deps, served):
    url, _, instance = served
    md = Ec2Source(make_deps(with_section(AgentConfig(), "ec2", url=url))).load()
    assert md.instance_id == instance.ec2_id


def test_generated_password_lands_in_the_store(platform, served, rsa_key):
    url, repo, instance = served
    config = AgentConfig(sources=["openstack_http"])
    config = msgspec.structs.replace(
        config, openstack_http=msgspec.structs.replace(config.openstack_http, url=url)
    )
    report = Agent(config, platform).run()
    assert report.status is ExitStatus.OK, report
    sealed = repo.get_password(instance.uuid)
    plain = rsa_key.decrypt(base64.b64decode(sealed), padding.PKCS1v15()).decode()
    assert platform.users.users["admin"].password == Secret(plain)


def test_activation_report_reaches_the_service(served):
    """The licensing plugin's report, over the OpenStack source's report sink, is stored by
    the service and readable by the operator: both halves of the contract, for real."""
    from wincloud.platform.fake import fake_platform

    url, repo, instance = served
    config = AgentConfig(sources=["openstack_http"], plugins=["licensing"])
    config = msgspec.structs.replace(
        config, openstack_http=msgspec.structs.replace(config.openstack_http, url=url)
    )
    report = Agent(config, fake_platform(family="windows")).run()
    assert report.status is ExitStatus.OK, report
    stored = repo.reports.get(instance.uuid, "activation")
    assert stored is not None
    body, _received = stored
    assert body["version"] == 1
    assert body["license_status"]


class CommitThenTimeout(httpx.BaseTransport):
    """The real server behind a faulty link: the first password POST reaches the server
    (which commits it) but its answer is replaced by a read timeout."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith("/password"):
            self.posts += 1
            if self.posts == 1:
                response.read()
                response.close()
                raise httpx.ReadTimeout("answer lost after the commit", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_password_committed_but_unanswered_is_set_locally(platform, served, rsa_key):
    url, repo, instance = served
    config = AgentConfig(sources=["openstack_http"])
    config = msgspec.structs.replace(
        config, openstack_http=msgspec.structs.replace(config.openstack_http, url=url)
    )
    transport = CommitThenTimeout()
    client = create_client(transport=transport)
    try:
        report = Agent(config, platform, http=lambda: client, sleep=lambda s: None).run()
    finally:
        client.close()
    assert report.status is ExitStatus.OK, report
    assert transport.posts == 2
    sealed = repo.get_password(instance.uuid)
    plain = rsa_key.decrypt(base64.b64decode(sealed), padding.PKCS1v15()).decode()
    assert platform.users.users["admin"].password == Secret(plain)
