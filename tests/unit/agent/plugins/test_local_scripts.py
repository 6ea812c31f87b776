import os

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.local_scripts import LocalScriptsPlugin

WIN_DIR = "C:\\ProgramData\\wincloud\\LocalScripts"


def test_no_folder_is_skipped(make_ctx, platform):
    assert LocalScriptsPlugin().run(make_ctx()) is Outcome.SKIPPED


def test_scripts_run_in_name_order_every_time(make_ctx, platform):
    platform.files.write("/etc/wincloud/scripts.d/20-b.sh", b"#!/bin/sh\necho b\n")
    platform.files.write("/etc/wincloud/scripts.d/10-a", b"#!/bin/sh\necho a\n")
    platform.files.write("/etc/wincloud/scripts.d/README", b"not a script\n")
    platform.files.make_dir("/etc/wincloud/scripts.d/sub")
    assert LocalScriptsPlugin().run(make_ctx()) is Outcome.DONE
    assert LocalScriptsPlugin().run(make_ctx()) is Outcome.DONE
    assert [r.argv[0] for r in platform.processes.ran] == ["10-a", "20-b.sh"] * 2


def test_windows_kinds_by_extension(make_ctx, win):
    win.files.write(f"{WIN_DIR}\\a.ps1", b"Write-Host a\n")
    win.files.write(f"{WIN_DIR}\\b.cmd", b"echo b\r\n")
    win.files.write(f"{WIN_DIR}\\c.ps1", b"#ps1_x86\nWrite-Host c\n")
    win.files.write(f"{WIN_DIR}\\d.txt", b"notes\n")
    LocalScriptsPlugin().run(make_ctx(on=win))
    assert [(r.argv[0], r.kind) for r in win.processes.ran] == [
        ("a.ps1", "powershell"),
        ("b.cmd", "cmd"),
        ("c.ps1", "powershell_x86"),
    ]


def test_a_reboot_request_stops_the_run(make_ctx, platform):
    platform.files.write("/etc/wincloud/scripts.d/1", b"#!/bin/sh\nexit 1001\n")
    platform.files.write("/etc/wincloud/scripts.d/2", b"#!/bin/sh\necho later\n")
    assert LocalScriptsPlugin().run(make_ctx()) is Outcome.REBOOT_AND_RETRY
    assert [r.argv[0] for r in platform.processes.ran] == ["1"]


def test_a_1002_is_simply_done_as_the_folder_runs_every_boot(make_ctx, platform):
    platform.files.write("/etc/wincloud/scripts.d/1", b"#!/bin/sh\nexit 1002\n")
    assert LocalScriptsPlugin().run(make_ctx()) is Outcome.DONE


def test_configured_folder(make_ctx, platform):
    platform.files.write("/opt/boot/x", b"#!/bin/sh\necho x\n")
    config = with_section(AgentConfig(), "local_scripts", path="/opt/boot")
    LocalScriptsPlugin().run(make_ctx(config))
    assert [r.argv[0] for r in platform.processes.ran] == ["x"]


def test_posix_runs_them_for_real(make_ctx, posix, root):
    folder = root / "etc/wincloud/scripts.d"
    folder.mkdir(parents=True)
    (folder / "10-mark").write_text('#!/bin/sh\necho ran > "$WINCLOUD_ROOT/tmp-mark"\n')
    os.chmod(folder / "10-mark", 0o755)
    assert LocalScriptsPlugin().run(make_ctx(on=posix)) is Outcome.DONE
    assert (root / "tmp-mark").read_text() == "ran\n"
