"""The operator commands: ``wincloud agent status|query|clean|schema|collect-logs``,
``state --json``, ``run --plugin`` and ``run --dry-run``, on a tmp root with a config drive
directory (no server needed)."""

from __future__ import annotations

import base64
import gzip
import json
import tarfile

import pytest
from click.testing import CliRunner

from tests.unit.configdrive.samples import ADMIN_PASS, small_drive
from tests.unit.platform.conftest import make_root
from wincloud.agent.state import AgentState, RunRecord, save_state
from wincloud.agent.status import read_status, wait_status
from wincloud.cli.agent import agent
from wincloud.cli.output import run_cli
from wincloud.platform.fake import fake_platform

UUID = "8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012"
USER_DATA = b"#!/bin/sh\necho private-token-42 > /dev/null\n"


@pytest.fixture
def root(tmp_path):
    return make_root(tmp_path / "root")


@pytest.fixture
def drive(tmp_path):
    folder = tmp_path / "drive"
    files = small_drive()
    files["openstack/latest/user_data"] = USER_DATA
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder


@pytest.fixture
def config(root, drive):
    path = root / "etc/wincloud/agent.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'sources = ["configdrive"]\nplugins = ["hostname", "ntp"]\n'
        f'[configdrive]\npaths = ["{drive}"]\n[log]\nconsole = false\n'
    )
    return path


def cli(*argv):
    return CliRunner().invoke(agent, [str(a) for a in argv])


def test_status_before_any_run_is_not_run(root):
    result = cli("status", "--root", root)
    assert (result.exit_code, result.output) == (0, "status: not-run\n")


def test_status_after_a_run_shows_each_plugin_by_stage(root, config):
    assert cli("run", "--root", root).exit_code == 0
    result = cli("status", "--root", root)
    assert result.exit_code == 0
    assert "status: done" in result.output
    assert f"instance_id: {UUID}" in result.output
    assert "stage main:\n  hostname: done\n  ntp: skipped" in result.output
    doc = json.loads(cli("status", "--root", root, "--json").output)
    assert doc["status"] == "done"
    assert doc["last_run"]["plugins"]["hostname"] == {
        "stage": "main",
        "outcome": "done",
        "error": "",
    }
    assert doc["last_run"]["exit_status"] == 0


def test_status_reports_a_failed_plugin_with_its_error(root, config):
    config.write_text(config.read_text() + '[ntp]\nservers = ["bad server"]\n')
    assert cli("run", "--root", root).exit_code == 1
    result = cli("status", "--root", root)
    assert result.exit_code == 1
    assert "status: error" in result.output
    assert "ntp: failed (" in result.output
    assert json.loads(cli("status", "--root", root, "--json").output)["errors"]["ntp"]


def test_a_run_that_died_is_crashed_not_running_forever():
    platform = fake_platform()
    state = AgentState(last_run=RunRecord(status="running", started="t", pid=123456))
    save_state(platform.state, state)
    assert read_status(platform, alive=lambda pid: True).status == "running"
    found = read_status(platform, alive=lambda pid: False)
    assert (found.status, found.exit_status) == ("crashed", 1)


def test_wait_blocks_until_the_run_ends_and_is_bounded():
    platform = fake_platform()
    save_state(platform.state, AgentState(last_run=RunRecord(status="running", pid=1)))
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    stuck = wait_status(
        platform, timeout=5, alive=lambda pid: True, sleep=sleep, clock=lambda: now[0]
    )
    assert stuck is None and now[0] == 5

    def finish_meanwhile(seconds):
        save_state(platform.state, AgentState(last_run=RunRecord(status="done", exit_status=0)))

    done = wait_status(platform, timeout=5, alive=lambda pid: True, sleep=finish_meanwhile)
    assert done is not None and done.status == "done"


def test_state_json_is_plain_json(root, config):
    cli("run", "--root", root)
    result = cli("state", "--root", root, "--json")
    assert json.loads(result.output)["instance_id"] == UUID


def test_query_shows_the_instance_data_without_secrets(root, config):
    cli("run", "--root", root)
    assert cli("query", "hostname", "--root", root).output == "win-01\n"
    assert cli("query", "public_keys.k", "--root", root).output == "ssh-ed25519 AAAA k@h\n"
    assert cli("query", "admin_pass_given", "--root", root).output == "True\n"
    everything = cli("query", "--root", root).output
    assert "private-token-42" not in everything and "<redacted" in everything
    assert "private-token-42" in cli("query", "user_data", "--all", "--root", root).output
    stored = (root / "var/lib/wincloud/instance-data.json").read_bytes()
    assert ADMIN_PASS.encode() not in stored
    assert (root / "var/lib/wincloud/instance-data.json").stat().st_mode & 0o777 == 0o600


def test_query_of_a_missing_key_is_a_config_error(root, config, capsys):
    cli("run", "--root", root)
    with pytest.raises(SystemExit) as info:
        run_cli(agent, ["query", "meta.nope", "--root", str(root)])
    assert info.value.code == 2
    assert "meta.nope" in capsys.readouterr().err


def test_clean_makes_the_next_boot_configure_the_machine_again(root, config):
    cli("run", "--root", root)
    assert "hostname: already-done" in cli("run", "--root", root).output
    result = cli("clean", "--root", root, "--logs")
    assert result.exit_code == 0, result.output
    assert not (root / "var/lib/wincloud/instance-data.json").exists()
    assert not (root / "var/log/wincloud/agent.log").exists()
    assert cli("status", "--root", root).output == "status: not-run\n"
    assert "hostname: done" in cli("run", "--root", root).output


def test_run_plugin_runs_that_plugin_alone_even_when_done(root, config):
    cli("run", "--root", root)
    (root / "etc/hostname").write_text("changed\n")
    result = cli("run", "--root", root, "--plugin", "hostname")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("  hostname: done\n")
    assert (root / "etc/hostname").read_text() == "win-01\n"


def test_run_dry_run_changes_nothing(root, config):
    result = cli("run", "--root", root, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "source configdrive where=" in result.output
    assert "plugin hostname (main, per-instance): would run" in result.output
    assert "user-data script userdata (shebang): would run" in result.output
    assert not (root / "var/lib/wincloud/state.json").exists()
    assert not (root / "etc/hostname").exists()


def mime(*parts: bytes) -> bytes:
    head = b'Content-Type: multipart/mixed; boundary="B"\nMIME-Version: 1.0\n\n'
    return head + b"".join(b"--B\n" + p + b"\n" for p in parts) + b"--B--\n"


def test_schema_says_what_would_run(tmp_path):
    cloud = b"Content-Type: text/cloud-config\n\n#cloud-config\nusers: [alice]\nruncmd: [ls]\n"
    script = b"Content-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n"
    path = tmp_path / "user-data"
    path.write_bytes(gzip.compress(mime(cloud, script)))
    result = cli("schema", path)
    assert result.exit_code == 0, result.output
    assert "cloud-config part-001: users alice; runcmd 1 commands" in result.output
    assert "script part-002 (shebang): would run" in result.output


def test_schema_refuses_a_document_the_agent_would_refuse(tmp_path, capsys):
    path = tmp_path / "user-data"
    path.write_bytes(b'#cloud-config\nusers:\n- name: "alice\\n"\n')
    with pytest.raises(SystemExit) as info:
        run_cli(agent, ["schema", str(path)])
    assert info.value.code == 4
    assert "not a valid user name" in capsys.readouterr().err


def test_collect_logs_bundles_without_secrets(root, config, tmp_path):
    cli("run", "--root", root)
    out = tmp_path / "bundle.tar.gz"
    result = cli("collect-logs", "--out", out, "--root", root)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    with tarfile.open(out) as bundle:
        names = sorted(m.name.split("/", 1)[1] for m in bundle.getmembers())
        content = b"".join(bundle.extractfile(m).read() for m in bundle.getmembers())
    assert names == ["agent.log", "agent.toml", "instance-data.json", "state.json", "status.json"]
    assert ADMIN_PASS.encode() not in content
    assert b"private-token-42" not in content
    assert base64.b64encode(USER_DATA) not in content


def test_instance_data_with_yaml_dates_is_written():
    """NoCloud vendor-data is YAML: a date in it must not break the run."""
    import datetime

    from wincloud.agent.instance_data import read_instance_data, write_instance_data
    from wincloud.agent.metadata import InstanceMetadata

    platform = fake_platform()
    md = InstanceMetadata(
        "i-1", "nocloud", "seed", vendor_data={"since": datetime.date(2026, 1, 2)}
    )
    write_instance_data(platform, md)
    assert read_instance_data(platform)["vendor_data"] == {"since": "2026-01-02"}
