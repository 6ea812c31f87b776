"""`wincloud hyperv network-agent --check` on fake hosts."""

from __future__ import annotations

from click.testing import CliRunner

from wincloud.cli.hyperv import hyperv

CONFIG = """
[AGENT]
physical_network_vswitch_mappings = physnet*:external
local_network_vswitch = {local}
[host:hv01]
address = fake:external,private
[host:hv02]
address = fake:external
"""


def _run(tmp_path, local):
    path = tmp_path / "agent.ini"
    path.write_text(CONFIG.format(local=local))
    return CliRunner().invoke(hyperv, ["network-agent", "--config", str(path), "--check"])


def test_check_passes_when_every_host_has_the_switches(tmp_path):
    result = _run(tmp_path, "external")
    assert result.exit_code == 0, result.output
    assert [ln.split() for ln in result.output.splitlines()] == [
        ["ok", "hv01", "external"],
        ["ok", "hv02", "external"],
    ]


def test_check_fails_on_a_host_without_the_switch(tmp_path):
    result = _run(tmp_path, "private")
    assert result.exit_code == 1
    assert "FAIL hv02                 private not found" in result.output
    assert "ok   hv01                 private" in result.output


def test_a_bad_file_is_a_config_error(tmp_path):
    path = tmp_path / "agent.ini"
    path.write_text("[AGENT]\n")
    result = CliRunner().invoke(hyperv, ["network-agent", "--config", str(path), "--check"])
    assert result.exit_code != 0
    assert "no vSwitch configured" in str(result.exception)
