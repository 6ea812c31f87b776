import gzip
import logging

import pytest

from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.userdata import UserDataPlugin


def scripts_run(platform):
    return [r.script for r in platform.processes.ran if r.script is not None]


def test_shebang_script_runs(make_ctx, platform):
    ctx = make_ctx(user_data=b"#!/bin/sh\necho hi\n")
    assert UserDataPlugin().run(ctx) is Outcome.DONE
    assert scripts_run(platform) == [b"#!/bin/sh\necho hi\n"]


def test_no_user_data_or_no_script_is_skipped(make_ctx, platform):
    assert UserDataPlugin().run(make_ctx()) is Outcome.SKIPPED
    assert UserDataPlugin().run(make_ctx(user_data=b"#cloud-config\n{}\n")) is Outcome.SKIPPED
    assert scripts_run(platform) == []


def test_gzipped_script_runs(make_ctx, platform):
    UserDataPlugin().run(make_ctx(user_data=gzip.compress(b"#!/bin/sh\nexit 0\n")))
    assert scripts_run(platform) == [b"#!/bin/sh\nexit 0\n"]


def test_failing_script_is_done_not_retried(make_ctx, platform):
    assert UserDataPlugin().run(make_ctx(user_data=b"#!/bin/sh\nexit 4\n")) is Outcome.DONE


def test_timeout_is_logged_and_done(make_ctx, platform, caplog):
    ctx = make_ctx(user_data=b"#!/bin/sh\nsleep 1000\n")
    assert UserDataPlugin().run(ctx) is Outcome.DONE
    assert "timed out" in caplog.text


@pytest.mark.parametrize("code", [1001, 233])
def test_exit_1001_reboots_and_the_script_is_done(make_ctx, platform, code):
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=f"#!/bin/sh\nexit {code}\n".encode())
    assert plugin.run(ctx) is Outcome.REBOOT
    assert plugin.run(ctx) is Outcome.DONE
    assert len(scripts_run(platform)) == 1


@pytest.mark.parametrize("code", [1002, 234])
def test_exit_1002_runs_it_again_next_boot_without_a_reboot(make_ctx, platform, code):
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=f"#!/bin/sh\nexit {code}\n".encode())
    assert plugin.run(ctx) is Outcome.RETRY_NEXT_BOOT
    assert plugin.run(ctx) is Outcome.RETRY_NEXT_BOOT
    assert len(scripts_run(platform)) == 2


@pytest.mark.parametrize("code", [1003, 235])
def test_exit_1003_reboots_and_runs_it_again(make_ctx, platform, code):
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=f"#!/bin/sh\nexit {code}\n".encode())
    assert plugin.run(ctx) is Outcome.REBOOT_AND_RETRY
    assert plugin.run(ctx) is Outcome.REBOOT_AND_RETRY
    assert len(scripts_run(platform)) == 2


MULTI = b"""Content-Type: multipart/mixed; boundary="XX"
MIME-Version: 1.0

--XX
Content-Type: text/x-shellscript; charset="us-ascii"
Content-Disposition: attachment; filename="first.sh"

#!/bin/sh
exit 1001

--XX
Content-Type: text/x-shellscript; charset="us-ascii"
Content-Disposition: attachment; filename="second.sh"

#!/bin/sh
echo second

--XX--
"""


def test_after_a_reboot_the_next_script_runs_and_the_first_does_not(make_ctx, platform):
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=MULTI)
    assert plugin.run(ctx) is Outcome.REBOOT_AND_RETRY
    assert plugin.run(ctx) is Outcome.DONE
    names = [r.argv[0] for r in platform.processes.ran]
    assert names == ["first.sh", "second.sh"]


def test_a_1002_script_lets_the_others_run_then_asks_for_the_next_boot(make_ctx, platform):
    data = MULTI.replace(b"exit 1001", b"exit 1002")
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=data)
    assert plugin.run(ctx) is Outcome.RETRY_NEXT_BOOT
    assert plugin.run(ctx) is Outcome.RETRY_NEXT_BOOT
    names = [r.argv[0] for r in platform.processes.ran]
    assert names == ["first.sh", "second.sh", "first.sh"]


def test_powershell_on_posix_is_skipped_not_crashed(make_ctx, platform, caplog):
    ctx = make_ctx(user_data=b"#ps1\nWrite-Host hi\n")
    assert UserDataPlugin().run(ctx) is Outcome.DONE
    assert "script skipped" in caplog.text
    assert scripts_run(platform) == []


@pytest.mark.parametrize(
    "data, kind",
    [
        (b"#ps1\nWrite-Host hi\nexit 0\n", "powershell"),
        (b"#ps1_sysnative\nWrite-Host hi\n", "powershell_sysnative"),
        (b"#ps1_x86\nWrite-Host hi\n", "powershell_x86"),
        (b"rem cmd\r\necho hi\r\n", "cmd"),
    ],
)
def test_windows_script_kinds_reach_the_platform(make_ctx, win, data, kind):
    assert UserDataPlugin().run(make_ctx(on=win, user_data=data)) is Outcome.DONE
    assert [(r.script, r.kind) for r in win.processes.ran] == [(data, kind)]


def test_ec2_user_data_runs_batch_then_powershell_on_windows(make_ctx, win):
    data = b"<powershell>\nexit 1001\n</powershell>\n<script>\necho batch\n</script>\n"
    assert UserDataPlugin().run(make_ctx(on=win, user_data=data)) is Outcome.REBOOT
    assert [r.kind for r in win.processes.ran] == ["cmd", "powershell"]


def test_unknown_parts_are_logged_by_type_only(make_ctx, platform, caplog):
    caplog.set_level(logging.INFO)
    data = MULTI.replace(b"text/x-shellscript", b"text/x-include-url", 1)
    UserDataPlugin().run(make_ctx(user_data=data))
    assert "reason=text/x-include-url" in caplog.text
    assert "exit 1001" not in caplog.text
