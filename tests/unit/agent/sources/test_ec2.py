"""The EC2 source (IMDSv2 first) against a real service on 127.0.0.1."""

import pytest

from tests.unit.agent.conftest import with_section
from tests.unit.agent.mdserver import TOKEN, serve
from wincloud.agent.config import AgentConfig
from wincloud.agent.sources.ec2 import TOKEN_HEADER, Ec2Source, parse_ec2
from wincloud.agent.tree import MemoryTree
from wincloud.errors import InvalidMetadata, SourceUnavailable
from wincloud.tree import render_http


def source_for(make_deps, url, **values):
    return Ec2Source(make_deps(with_section(AgentConfig(), "ec2", url=url, **values)))


@pytest.mark.parametrize("tokens", ["optional", "required"])
def test_reads_the_instance_with_a_token(make_deps, instance, tokens):
    with serve(render_http(instance), tokens=tokens) as running:
        source = source_for(make_deps, running.url)
        assert source.probe() is True
        md = source.load()
        gets = [r for r in running.behaviour.requests if r[0] == "GET"]
    assert md.instance_id == instance.ec2_id
    assert md.hostname == instance.hostname
    assert dict(md.public_keys) == instance.public_keys
    assert md.user_data == instance.user_data
    assert md.local_ipv4 == str(instance.local_ipv4)
    assert md.availability_zone == instance.availability_zone
    assert all(headers.get(TOKEN_HEADER) == TOKEN for _, _, headers in gets)


def test_a_service_without_tokens_is_read_imdsv1(make_deps, instance):
    with serve(render_http(instance), tokens="none") as running:
        md = source_for(make_deps, running.url).load()
        gets = [r for r in running.behaviour.requests if r[0] == "GET"]
    assert md.instance_id == instance.ec2_id
    assert not any(TOKEN_HEADER in headers for _, _, headers in gets)


def test_required_tokens_without_a_token_service_is_unavailable(make_deps, instance):
    with serve(render_http(instance), tokens="none") as running:
        with pytest.raises(SourceUnavailable, match="405"):
            source_for(make_deps, running.url, require_token=True).probe()


def test_the_token_is_registered_as_a_secret(make_deps, instance):
    seen = []
    with serve(render_http(instance)) as running:
        config = with_section(AgentConfig(), "ec2", url=running.url)
        Ec2Source(make_deps(config, register_secret=seen.append)).probe()
    assert seen == [TOKEN]


def test_a_service_without_ec2_metadata_is_absent(make_deps):
    with serve({"openstack": b"latest"}) as running:
        assert source_for(make_deps, running.url).probe() is False


@pytest.mark.parametrize("version", ["2009-04-04", "latest", "1.0"])
def test_parse_every_rendered_version(instance, version):
    md = parse_ec2(MemoryTree(render_http(instance)), version=version, source="ec2")
    assert md.instance_id == instance.ec2_id
    assert dict(md.public_keys) == instance.public_keys


def test_missing_instance_id_is_invalid():
    with pytest.raises(InvalidMetadata, match="instance-id"):
        parse_ec2(MemoryTree({"latest/meta-data/hostname": b"h"}), version="latest", source="ec2")
