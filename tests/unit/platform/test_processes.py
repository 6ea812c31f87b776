import pytest

from wincloud.errors import NotSupported, PlatformError


def test_exit_status_and_output_are_reported(rig):
    done = rig.platform.processes.run(["sh", "-c", "echo hi\nexit 3"], timeout=10)
    assert (done.exit_code, done.stdout) == (3, b"hi\n")


def test_stdin_reaches_the_program(rig):
    done = rig.platform.processes.run(["cat"], timeout=10, stdin=b"secret-ish")
    assert done.stdout == b"secret-ish"


def test_missing_program_raises(rig):
    with pytest.raises(PlatformError):
        rig.platform.processes.run(["no-such-program-wincloud"], timeout=10)


def test_timeout_raises(rig):
    with pytest.raises(PlatformError, match="timed out"):
        rig.platform.processes.run(["sh", "-c", "sleep 5"], timeout=0.3)


def test_script_runs_by_its_shebang(rig):
    done = rig.platform.processes.run_script(
        b"#!/bin/sh\necho from-script\nexit 7\n", name="userdata", timeout=10
    )
    assert (done.exit_code, done.stdout) == (7, b"from-script\n")


def test_script_without_shebang_is_refused(rig):
    with pytest.raises(PlatformError):
        rig.platform.processes.run_script(b"echo no\n", name="userdata", timeout=10)


def test_script_timeout_raises(rig):
    with pytest.raises(PlatformError, match="timed out"):
        rig.platform.processes.run_script(b"#!/bin/sh\nsleep 5\n", name="slow", timeout=0.3)


@pytest.mark.parametrize("kind", ["powershell", "powershell_sysnative", "powershell_x86", "cmd"])
def test_windows_script_kinds_are_not_supported(rig, kind):
    with pytest.raises(NotSupported):
        rig.platform.processes.run_script(b"echo hi\n", name="x.ps1", timeout=10, kind=kind)
