import gzip

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


def test_exit_1001_asks_for_a_reboot(make_ctx):
    assert UserDataPlugin().run(make_ctx(user_data=b"#!/bin/sh\nexit 1001\n")) is Outcome.REBOOT


def test_exit_233_is_1001_on_8_bit_systems(make_ctx):
    assert UserDataPlugin().run(make_ctx(user_data=b"#!/bin/sh\nexit 233\n")) is Outcome.REBOOT


def test_exit_1002_reboots_and_runs_it_again(make_ctx, platform):
    plugin, ctx = UserDataPlugin(), make_ctx(user_data=b"#!/bin/sh\nexit 1002\n")
    assert plugin.run(ctx) is Outcome.REBOOT_AND_RETRY
    assert plugin.run(ctx) is Outcome.REBOOT_AND_RETRY
    assert len(scripts_run(platform)) == 2


def test_exit_1003_runs_again_next_boot(make_ctx):
    assert (
        UserDataPlugin().run(make_ctx(user_data=b"#!/bin/sh\nexit 1003\n"))
        is Outcome.RETRY_NEXT_BOOT
    )


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
