"""`wincloud agent config import-cloudbase-init FILE [--out FILE]` through the CLI."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner

from wincloud.agent.config import load_config
from wincloud.cli.agent import agent
from wincloud.cli.output import run_cli

CONF = """[DEFAULT]
username=Admin
metadata_services=cloudbaseinit.metadata.services.httpservice.HttpService,
  cloudbaseinit.metadata.services.gceservice.GCEService
plugins=cloudbaseinit.plugins.common.sethostname.SetHostNamePlugin,
  cloudbaseinit.plugins.common.trim.TrimConfigPlugin
"""


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "cloudbase-init.conf"
    path.write_text(CONF)
    return path


def test_prints_toml_on_stdout_and_warnings_on_stderr(conf):
    result = CliRunner().invoke(agent, ["config", "import-cloudbase-init", str(conf)])
    assert result.exit_code == 0, result.output
    data = tomllib.loads(result.stdout)
    assert data["sources"] == ["openstack_http"]
    assert data["plugins"] == ["hostname"]
    assert data["users"] == {"username": "Admin"}
    assert "warning: cloudbase-init.conf:3: metadata_services:" in result.stderr
    assert "GCEService" in result.stderr
    assert "TrimConfigPlugin" in result.stderr
    assert "TrimConfigPlugin" in result.stdout  # also a comment in the TOML


def test_out_writes_a_file_the_agent_loads(conf, tmp_path):
    out = tmp_path / "agent.toml"
    out.write_text("previous")
    result = CliRunner().invoke(
        agent, ["config", "import-cloudbase-init", str(conf), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {out} (2 warnings)" in result.stderr
    assert load_config(out).users.username == "Admin"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.toml", "cloudbase-init.conf"]


def test_a_file_that_is_not_ini_exits_2_naming_file_and_line(tmp_path, capsys):
    path = tmp_path / "agent.json"
    path.write_text('{"username": "x"}\n')
    with pytest.raises(SystemExit) as info:
        run_cli(agent, ["config", "import-cloudbase-init", str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error[config-error]: not a cloudbase-init.conf INI file")
    assert f"{path}:1" in err
