from pathlib import Path

import pytest

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Completed
from wincloud.platform.windows._win32.fake import FakeSpawner, FakeWindows
from wincloud.platform.windows.files import WindowsFiles
from wincloud.platform.windows.processes import WindowsProcesses

PS64 = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"


def record(win):
    seen = []

    def program(argv, stdin):
        path = argv[-1]
        seen.append((argv, Path(path).read_bytes()))
        return Completed(tuple(argv), 0, b"ok\r\n")

    for name in ("powershell.exe", "cmd.exe", "python.exe"):
        win.spawner.programs[name] = program
    return seen


def processes(win, tmp_path, *, wow64=False, bits64=True):
    win.kernel32.wow64 = wow64
    files = WindowsFiles(win.advapi, root=tmp_path)
    return WindowsProcesses(
        win.spawner, win.kernel32, files, python=r"C:\wincloud\python.exe", is_64bit_process=bits64
    )


@pytest.mark.parametrize(
    ("wow64", "bits64", "kind", "expected"),
    [
        (False, True, "powershell", PS64),
        (True, False, "powershell", PS64.replace("System32", "Sysnative")),
        (True, False, "powershell_sysnative", PS64.replace("System32", "Sysnative")),
        (False, True, "powershell_x86", PS64.replace("System32", "SysWOW64")),
        (True, False, "powershell_x86", PS64),
        (False, False, "powershell_x86", PS64),
        (True, False, "cmd", r"C:\Windows\Sysnative\cmd.exe"),
    ],
)
def test_the_interpreter_matches_the_bitness(tmp_path, wow64, bits64, kind, expected):
    win = FakeWindows()
    seen = record(win)
    done = processes(win, tmp_path, wow64=wow64, bits64=bits64).run_script(
        b"#ps1\nWrite-Host hi\n", name="userdata.ps1", timeout=10, kind=kind
    )
    assert done.exit_code == 0
    assert seen[0][0][0] == expected
    assert seen[0][1] == b"#ps1\nWrite-Host hi\n"


def test_script_files_are_private_and_removed_after_the_run(platform, win, tmp_path):
    seen = record(win)
    platform.processes.run_script(b"rem cmd\necho hi\n", name="userdata.cmd", timeout=5, kind="cmd")
    argv, _body = seen[0]
    assert argv[-1].endswith(".cmd") and argv[1:3] == ("/d", "/c")
    assert platform.files.list_dir(r"C:\ProgramData\wincloud\scripts") == []


def test_shebang_python_uses_this_python(tmp_path):
    win = FakeWindows()
    seen = record(win)
    processes(win, tmp_path).run_script(b"#!/usr/bin/env python3\nprint(1)\n", name="s", timeout=5)
    assert seen[0][0][0] == r"C:\wincloud\python.exe"
    assert seen[0][0][-1].endswith(".py")


def test_shebang_shell_is_not_supported(platform):
    with pytest.raises(NotSupported):
        platform.processes.run_script(b"#!/bin/sh\necho\n", name="s", timeout=5)


def test_shebang_kind_without_the_line_is_refused(platform):
    with pytest.raises(PlatformError):
        platform.processes.run_script(b"echo\n", name="s", timeout=5)


def test_missing_program_and_timeout_raise(platform, win):
    with pytest.raises(PlatformError) as info:
        platform.processes.run([r"C:\no\such.exe"], timeout=5)
    assert info.value.os_code == 2
    win.spawner.hang.add("slow.exe")
    win.spawner.programs["slow.exe"] = lambda argv, stdin: Completed(tuple(argv), 0)
    with pytest.raises(PlatformError, match="timed out"):
        platform.processes.run(["slow.exe"], timeout=0.1)
    with pytest.raises(PlatformError):
        platform.processes.run([], timeout=1)


def test_stdin_and_env_reach_the_program():
    spawner = FakeSpawner({"x.exe": lambda argv, stdin: Completed(tuple(argv), 3, stdin)})
    done = spawner.run(["x.exe"], timeout=1, stdin=b"in", env={"A": "1"})
    assert (done.exit_code, done.stdout, spawner.ran[0].env) == (3, b"in", {"A": "1"})
