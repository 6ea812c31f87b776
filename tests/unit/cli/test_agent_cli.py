"""`wincloud agent run|state`, through the click group (CliRunner), on a tmp root."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tests.unit.agent.mdserver import serve
from tests.unit.platform.conftest import make_root
from wincloud.cli.agent import agent
from wincloud.cli.output import run_cli
from wincloud.errors import ConfigError
from wincloud.tree import render_http


@pytest.fixture
def root(tmp_path):
    return make_root(tmp_path / "root")


def write_config(root, text):
    path = root / "etc/wincloud/agent.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_run_applies_the_metadata_and_the_next_run_has_nothing_to_do(root, make_instance):
    instance = make_instance(user_data='#!/bin/sh\ntouch "$WINCLOUD_ROOT/ran"\n')
    with serve(render_http(instance)) as running:
        write_config(
            root,
            'sources = ["configdrive", "openstack_http"]\nplugins = ["hostname", "userdata"]\n'
            f'[openstack_http]\nurl = "{running.url}"\n[log]\nconsole = false\n',
        )
        first = CliRunner().invoke(agent, ["run", "--root", str(root)])
        second = CliRunner().invoke(agent, ["run", "--root", str(root)])
    assert first.exit_code == 0, first.output
    assert f"status=ok source=openstack_http instance_id={instance.uuid}" in first.output
    assert (root / "etc/hostname").read_text() == instance.hostname + "\n"
    assert (root / "ran").exists()
    assert "hostname: already-done" in second.output
    log_text = (root / "var/log/wincloud/agent.log").read_text()
    assert "source selected name=openstack_http" in log_text
    state = json.loads((root / "var/lib/wincloud/state.json").read_text())
    assert state["instance_id"] == instance.uuid


def test_no_metadata_exits_3(root, tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text('sources = ["configdrive", "nocloud"]\n[log]\nconsole = false\n')
    result = CliRunner().invoke(agent, ["run", "--root", str(root), "--config", str(config)])
    assert result.exit_code == 3
    assert "status=no_metadata" in result.output


def test_a_reboot_request_exits_10_and_asks_the_platform(root, make_instance):
    instance = make_instance(user_data="#!/bin/sh\nexit 233\n")
    with serve(render_http(instance)) as running:
        write_config(
            root,
            'sources = ["openstack_http"]\nplugins = ["userdata", "hostname"]\n'
            f'[openstack_http]\nurl = "{running.url}"\n[log]\nconsole = false\n',
        )
        result = CliRunner().invoke(agent, ["run", "--root", str(root)])
    assert result.exit_code == 10
    assert (root / "run/wincloud/reboot-required").exists()
    assert not (root / "etc/hostname").exists()


def test_a_bad_config_names_file_and_key(root, tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text("[retry]\nattempts = -1\n")
    result = CliRunner().invoke(agent, ["run", "--root", str(root), "--config", str(config)])
    assert isinstance(result.exception, ConfigError)
    assert str(result.exception).endswith("agent.toml:retry.attempts")


def test_a_bad_config_exits_2_through_the_cli_error_path(root, tmp_path, capsys):
    config = tmp_path / "agent.toml"
    config.write_text("unknown_key = 1\n")
    with pytest.raises(SystemExit) as info:
        run_cli(agent, ["run", "--root", str(root), "--config", str(config)])
    assert info.value.code == 2
    assert "error[config-error]" in capsys.readouterr().err


def test_state_shows_what_the_agent_remembers(root):
    (root / "var/lib/wincloud").mkdir(parents=True)
    (root / "var/lib/wincloud/state.json").write_text(
        json.dumps({"version": 1, "instance_id": "abc", "plugins": {}})
    )
    result = CliRunner().invoke(agent, ["state", "--root", str(root)])
    assert result.exit_code == 0
    assert '"instance_id": "abc"' in result.output
