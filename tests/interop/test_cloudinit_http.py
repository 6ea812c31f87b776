"""Debian cloud-init's own readers against our live metadata service over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.interop.cloudinit import requires_cloudinit, run_probe
from tests.server_harness import running_server
from wincloud.server.settings import ServerSettings, TokenMode

pytestmark = [pytest.mark.interop, requires_cloudinit]


@pytest.fixture
def guest(repo, make_instance):
    return repo.add(make_instance(fixed_ips=["127.0.0.1"])).instance


def test_openstack_reader_gets_the_instance(repo, guest):
    with running_server(repo) as srv:
        got = run_probe("probe_openstack_http.py", srv.url)
    assert got["metadata"]["uuid"] == guest.uuid
    assert got["metadata"]["instance-id"] == guest.uuid
    assert got["metadata"]["local-hostname"] == guest.hostname
    assert got["metadata"]["public_keys"] == dict(guest.public_keys)
    assert got["metadata"]["meta"]["windows_product_key"] == guest.meta["windows_product_key"]
    assert got["userdata"] == guest.user_data.decode()
    assert got["networkdata"] == json.loads(json.dumps(guest.network_data.render()))
    assert got["vendordata"] == {"greeting": "hello"}
    assert got["version"] == 2


def test_openstack_reader_without_user_data(repo, make_instance):
    repo.add(make_instance(fixed_ips=["127.0.0.1"], user_data=None))
    with running_server(repo) as srv:
        got = run_probe("probe_openstack_http.py", srv.url)
    assert not got.get("userdata")


@pytest.mark.parametrize("version", ["2009-04-04", "latest"])
def test_ec2_reader_gets_the_instance(repo, guest, version):
    with running_server(repo) as srv:
        got = run_probe("probe_ec2_http.py", srv.url, version)
    md = got["metadata"]
    assert md["instance-id"] == guest.ec2_id
    assert md["local-ipv4"] == "127.0.0.1"
    assert md["hostname"] == guest.hostname
    assert md["placement"]["availability-zone"] == guest.availability_zone
    # cloud-init collapses a one-element list to its element
    assert md["public-keys"]["mykey"] in (guest.public_keys["mykey"], [guest.public_keys["mykey"]])
    assert got["userdata"] == guest.user_data.decode()


def test_ec2_reader_with_imdsv2_tokens_required(repo, guest):
    settings = ServerSettings(token_mode=TokenMode.REQUIRED)
    with running_server(repo, settings) as srv:
        got = run_probe("probe_ec2_http.py", srv.url, "latest", "--token")
    assert got["metadata"]["instance-id"] == guest.ec2_id
