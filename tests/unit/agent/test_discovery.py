import json
import logging

import pytest

from wincloud.agent.config import AgentConfig
from wincloud.agent.discovery import discover
from wincloud.agent.retry import Backoff
from wincloud.agent.sources import create_source
from wincloud.errors import ConfigError, MetadataNotFound

from .conftest import with_section
from .mdserver import closed_port


def config_for(url):
    config = with_section(AgentConfig(), "openstack_http", url=url, timeout=2)
    return with_section(config, "ec2", url=url, timeout=2)


def run(names, deps, slept):
    return discover(names, lambda n: create_source(n, deps), Backoff(3, 1, 10), sleep=slept.append)


def test_first_source_that_answers_wins_and_others_are_explained(
    make_deps, md_server, instance, caplog
):
    slept = []
    deps = make_deps(config_for(md_server.url))
    with caplog.at_level(logging.INFO, logger="wincloud"):
        found = run(["configdrive", "openstack_http", "ec2"], deps, slept)
    assert found.source.name == "openstack_http"
    assert found.metadata.instance_id == instance.uuid
    assert [(a.source, a.result) for a in found.attempts] == [
        ("configdrive", "absent"),
        ("openstack_http", "selected"),
    ]
    assert slept == []
    assert "source selected name=openstack_http" in caplog.text
    assert "source attempt name=configdrive" in caplog.text


def test_unavailable_sources_are_retried_then_skipped(make_deps, md_server, instance):
    slept = []
    with closed_port() as dead:
        config = with_section(config_for(dead), "ec2", url=md_server.url)
        found = run(["openstack_http", "ec2"], make_deps(config), slept)
    assert found.source.name == "ec2"
    assert found.metadata.instance_id == instance.ec2_id
    first = found.attempts[0]
    assert (first.source, first.result) == ("openstack_http", "unavailable")
    assert dead in first.reason
    assert slept == [1, 2]


def test_invalid_metadata_is_not_retried_and_the_next_source_is_tried(
    make_deps, platform, drive_files, md_server, tmp_path
):
    drive_files["openstack/latest/meta_data.json"] = json.dumps({"hostname": "no-uuid"}).encode()
    platform.volumes.labelled["config-2"] = tmp_path / "sr0"
    slept = []
    deps = make_deps(config_for(md_server.url), read_drive=lambda p: drive_files)
    found = run(["configdrive", "openstack_http"], deps, slept)
    assert [(a.source, a.result) for a in found.attempts] == [
        ("configdrive", "invalid"),
        ("openstack_http", "selected"),
    ]
    assert "uuid" in found.attempts[0].reason
    assert slept == []


def test_no_source_answering_lists_every_attempt(make_deps):
    with closed_port() as dead:
        with pytest.raises(MetadataNotFound) as info:
            run(["configdrive", "openstack_http", "nocloud"], make_deps(config_for(dead)), [])
    assert [name for name, _ in info.value.attempts] == ["configdrive", "openstack_http", "nocloud"]
    assert info.value.attempts[1][1].startswith("unavailable:")


def test_unknown_source_is_a_config_error(make_deps):
    with pytest.raises(ConfigError) as info:
        run(["azure"], make_deps(), [])
    assert "configdrive" in info.value.hint
