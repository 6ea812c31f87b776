"""`wincloud hyperv check | vms | host-info` against the localhost replay server (and --fake)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from wincloud.cli import main
from wincloud.cli.hyperv import hyperv
from wincloud.hyperv.host import VmAction, VmSpec


def _args(replay, *extra):
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(replay.server.port),
        "--transport",
        "http",
        "--auth",
        "basic",
        "--user",
        "wincloud",
        "--password-env",
        "HV_PW",
        *extra,
    ]


def _run(args):
    return CliRunner().invoke(hyperv, args, env={"HV_PW": "s3cret"}, catch_exceptions=False)


def test_check_passes_on_a_good_host(replay):
    result = _run(["check", *_args(replay, "--switch", "external")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [ln.split()[:2] for ln in lines if not ln.startswith("warning")] == [
        ["ok", "winrm"],
        ["ok", "hyperv-role"],
        ["ok", "vswitch"],
        ["ok", "free-space"],
        ["ok", "windows-version"],
    ]


def test_check_fails_on_a_missing_switch(replay):
    result = _run(["check", *_args(replay, "--switch", "br-prod")])
    assert result.exit_code == 1
    assert "FAIL vswitch          br-prod not found; the host has: external, internal" in (
        result.output
    )


def test_check_fails_when_the_disk_is_short(replay):
    result = _run(["check", *_args(replay, "--min-free-gb", "100000")])
    assert result.exit_code == 1
    assert "FAIL free-space" in result.output


def test_check_reports_a_refused_password_and_skips_the_rest(replay):
    result = CliRunner().invoke(hyperv, ["check", *_args(replay)], env={"HV_PW": "nope"})
    assert result.exit_code == 1
    assert "FAIL winrm" in result.output
    assert result.output.count("skip") == 4
    assert "nope" not in result.output


def test_vms_lists_the_hosts_vms(replay):
    replay.fake.create_vm(VmSpec("web-1", cpu_count=2, memory_mb=2048))
    replay.fake.set_vm_state("web-1", VmAction.START)
    result = _run(["vms", *_args(replay)])
    assert result.exit_code == 0, result.output
    header, row = [ln for ln in result.output.splitlines() if not ln.startswith("warning")]
    assert header.split() == ["NAME", "STATE", "GEN", "CPUS", "MEMORY_MB", "UPTIME", "NOTES"]
    assert row.split()[:5] == ["web-1", "running", "2", "2", "2048"]


def test_vms_json(replay):
    replay.fake.create_vm(VmSpec("db-1", generation=1, secure_boot=False))
    result = CliRunner().invoke(hyperv, ["vms", *_args(replay, "--json")], env={"HV_PW": "s3cret"})
    data = json.loads(result.stdout)
    assert [(v["name"], v["state"], v["generation"], v["secure_boot"]) for v in data] == [
        ("db-1", "off", 1, None)
    ]


def test_host_info_json(replay):
    result = CliRunner().invoke(
        hyperv, ["host-info", *_args(replay, "--json")], env={"HV_PW": "s3cret"}
    )
    data = json.loads(result.stdout)
    assert data["hostname"] == "HV-FAKE01" and data["os_build"] == 20348
    assert data["memory_mb_total"] == 16384


def test_fake_host_for_demos():
    result = CliRunner().invoke(hyperv, ["vms", "--host", "fake:"])
    assert result.exit_code == 0
    assert "demo-web-1" in result.output and "running" in result.output


def test_missing_password_variable_is_a_config_error(replay, capsys, monkeypatch):
    monkeypatch.delenv("HV_PW", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["hyperv", "vms", *_args(replay)])
    assert info.value.code == 2
    assert "error[config-error]: the password variable HV_PW is not set" in capsys.readouterr().err


def test_unreachable_host_is_one_line_and_exit_3(capsys, monkeypatch):
    monkeypatch.setenv("HV_PW", "x")
    with pytest.raises(SystemExit) as info:
        main(
            [
                "hyperv",
                "host-info",
                "--host",
                "127.0.0.1",
                "--port",
                "9",
                "--transport",
                "http",
                "--auth",
                "basic",
                "--user",
                "u",
                "--password-env",
                "HV_PW",
                "--timeout",
                "2",
            ]
        )
    assert info.value.code == 3
    err = capsys.readouterr().err
    assert err.splitlines()[-2].startswith("error[host-unreachable]: WinRM is not reachable")
