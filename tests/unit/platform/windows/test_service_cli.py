"""``wincloud agent service`` on fake bindings (the group is attached under ``agent`` by the
CLI table; here it is invoked directly)."""

import tomllib

from click.testing import CliRunner

from wincloud.cli.agent_service import service
from wincloud.platform.windows._win32.fake import FakeServices

PY = r"C:\Program Files\wincloud\python\python.exe"


def invoke(args, **obj):
    return CliRunner().invoke(service, args, obj=obj, catch_exceptions=False)


def test_install_status_remove():
    services = FakeServices()
    result = invoke(["install", "--python", PY], services=services)
    assert result.exit_code == 0, result.output
    info = services.query("wincloud")
    assert (info.start, info.command) == ("delayed", f'"{PY}" -m wincloud agent service run')
    assert invoke(["status"], services=services).output.startswith(
        "wincloud: stopped start=delayed"
    )
    assert "already installed" in invoke(["install", "--start", "auto"], services=services).output
    assert services.query("wincloud").start == "auto"
    services.start("wincloud")
    assert invoke(["remove"], services=services).output == "wincloud: removed\n"
    assert services.query("wincloud") is None
    assert invoke(["remove"], services=services).output == "wincloud: not installed\n"
    assert invoke(["status"], services=services).exit_code == 3


def test_setupcomplete_writes_the_stage_config_and_the_script(platform):
    deps = {"platform": platform, "windows_dir": r"C:\Windows", "services": FakeServices()}
    result = invoke(
        ["setupcomplete", "--python", PY, "--plugins", "users, password,ssh_keys"], **deps
    )
    assert result.exit_code == 0, result.output
    config = tomllib.loads(
        platform.files.read(r"C:\ProgramData\wincloud\agent-unattend.toml").decode()
    )
    assert config == {"plugins": ["users", "password", "ssh_keys"], "allow_reboot": False}
    assert b"agent run --config" in platform.files.read(
        r"C:\Windows\Setup\Scripts\SetupComplete.cmd"
    )
    assert "block removed" in invoke(["setupcomplete", "--remove"], **deps).output
