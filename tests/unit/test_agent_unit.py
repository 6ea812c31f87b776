"""packaging/systemd/wincloud-agent.service: the Linux guest's unit runs a real agent command,
is ordered after the network and before logins, and systemd itself accepts it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.unit.test_packaging import unit_entries
from wincloud.agent.run import ExitStatus
from wincloud.cli import cli

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "packaging/systemd/wincloud-agent.service"


def test_the_unit_runs_the_agent_with_real_arguments():
    entries = unit_entries(UNIT)
    [start] = entries["ExecStart"]
    program, *args = start.split()
    assert Path(program).name == "wincloud"
    assert args == ["agent", "run"]
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert entries["Type"] == ["oneshot"]
    assert entries["RemainAfterExit"] == ["yes"]
    assert str(int(ExitStatus.REBOOT)) in entries["SuccessExitStatus"][0].split()


def test_the_unit_waits_for_the_network_and_comes_before_logins():
    entries = unit_entries(UNIT)
    wants = " ".join(entries["Wants"]).split()
    after = " ".join(entries["After"]).split()
    before = " ".join(entries["Before"]).split()
    assert "network-online.target" in wants and "network-online.target" in after
    assert {"ssh.service", "sshd.service", "systemd-user-sessions.service"} <= set(before)
    # sockets.target < basic.target < this unit: before ssh.socket would be a cycle
    assert "ssh.socket" not in before
    assert "DefaultDependencies" not in entries
    assert entries["WantedBy"] == ["multi-user.target"]


def test_docs_point_at_the_unit_file():
    text = (REPO / "docs/agent.md").read_text()
    assert "packaging/systemd/wincloud-agent.service" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is absent")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    """verify checks that ExecStart's program exists: the copy runs this venv's wincloud."""
    wincloud = Path(sys.executable).parent / "wincloud"
    if not wincloud.exists():
        pytest.skip("no wincloud console script next to this Python")
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace("/usr/bin/wincloud", str(wincloud)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "wincloud-agent.service" not in done.stderr, done.stderr
