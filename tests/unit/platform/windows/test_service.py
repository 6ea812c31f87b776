import pytest

from wincloud.platform.base import Completed
from wincloud.platform.windows.service import (
    REBOOT_PENDING,
    SETUP_STATE,
    AgentServiceLoop,
    agent_command,
    is_setup_complete,
    service_command,
)
from wincloud.platform.windows.setupcomplete import (
    BEGIN,
    install_setupcomplete,
    merge_block,
    render_block,
    uninstall_setupcomplete,
)

PY = r"C:\Program Files\wincloud\python\python.exe"
SETUP = r"C:\Windows\Setup\Scripts\SetupComplete.cmd"


def agent_exits(win, code):
    runs = []

    def program(argv, stdin):
        runs.append(argv)
        return Completed(tuple(argv), code)

    win.spawner.programs["python.exe"] = program
    return runs


def loop(platform, win, **kw):
    return AgentServiceLoop(platform, win.registry, agent_command(PY), **kw)


def test_commands_quote_the_interpreter():
    assert service_command(PY) == f'"{PY}" -m wincloud agent service run'
    assert agent_command(PY)[1:] == ["-m", "wincloud", "agent", "run"]


def test_setup_state(win):
    assert is_setup_complete(win.registry)
    win.registry.write_text(SETUP_STATE, "ImageState", "IMAGE_STATE_UNDEPLOYABLE")
    assert not is_setup_complete(win.registry)


def test_the_agent_runs_once_setup_is_over(platform, win):
    runs = agent_exits(win, 0)
    win.registry.write_text(SETUP_STATE, "ImageState", "IMAGE_STATE_SPECIALIZE_RESEAL_TO_OOBE")
    waits = []

    def wait(seconds):
        waits.append(seconds)
        win.registry.write_text(SETUP_STATE, "ImageState", "IMAGE_STATE_COMPLETE")
        return False

    assert loop(platform, win, poll_seconds=5).run(wait) == 0
    assert waits == [5] and len(runs) == 1
    assert win.accounts.shutdowns == []


def test_a_stop_while_waiting_runs_nothing(platform, win):
    runs = agent_exits(win, 0)
    win.registry.write_text(SETUP_STATE, "ImageState", "IMAGE_STATE_UNDEPLOYABLE")
    assert loop(platform, win).run(lambda seconds: True) == -1
    assert runs == []


def test_exit_10_reboots(platform, win):
    agent_exits(win, 10)
    assert loop(platform, win).run(lambda s: False) == 10
    assert [s.reboot for s in win.accounts.shutdowns] == [True]


def test_a_reboot_pending_from_setup_comes_first(platform, win):
    runs = agent_exits(win, 0)
    platform.files.write(REBOOT_PENDING, b"reboot\r\n")
    assert loop(platform, win).run(lambda s: False) == 10
    assert runs == [] and len(win.accounts.shutdowns) == 1
    assert platform.files.read(REBOOT_PENDING) is None


def test_an_agent_that_cannot_start_is_reported(platform, win):
    assert loop(platform, win).run(lambda s: False) == 1


def test_setupcomplete_block_is_appended_once_and_keeps_the_rest(platform):
    platform.files.write(SETUP, b"@echo off\r\ncall other.cmd\r\n")
    assert install_setupcomplete(platform.files, r"C:\Windows", PY) is True
    assert install_setupcomplete(platform.files, r"C:\Windows", PY) is False
    text = platform.files.read(SETUP).decode()
    assert text.startswith("@echo off\r\ncall other.cmd\r\n" + BEGIN)
    assert text.count(BEGIN) == 1 and "agent-unattend.toml" in text
    assert uninstall_setupcomplete(platform.files, r"C:\Windows") is True
    assert platform.files.read(SETUP) == b"@echo off\r\ncall other.cmd\r\n"


def test_setupcomplete_alone_is_removed_whole(platform):
    install_setupcomplete(platform.files, r"C:\Windows", PY)
    assert platform.files.read(SETUP).startswith(b"@echo off\r\n")
    assert uninstall_setupcomplete(platform.files, r"C:\Windows") is True
    assert platform.files.read(SETUP) is None
    assert uninstall_setupcomplete(platform.files, r"C:\Windows") is False


@pytest.mark.parametrize("old_python", [r"C:\old\python.exe"])
def test_a_new_block_replaces_the_old(old_python):
    merged = merge_block(merge_block("", render_block(old_python)), render_block(PY))
    assert old_python not in merged and PY in merged
