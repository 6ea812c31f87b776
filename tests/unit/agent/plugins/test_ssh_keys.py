import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.ssh_keys import SshKeysPlugin
from wincloud.errors import PluginFailed

KEYS = {"a": "ssh-ed25519 AAAA a", "b": "ssh-rsa BBBB b"}


def test_keys_become_the_admin_authorized_keys(make_ctx, platform):
    platform.users.ensure("admin")
    assert SshKeysPlugin().run(make_ctx(public_keys=KEYS)) is Outcome.DONE
    data = platform.files.read("/home/admin/.ssh/authorized_keys")
    assert data.decode().splitlines() == list(KEYS.values())


def test_no_keys_is_skipped(make_ctx, platform):
    platform.users.ensure("admin")
    assert SshKeysPlugin().run(make_ctx()) is Outcome.SKIPPED


def test_missing_admin_user_fails_with_a_hint(make_ctx):
    with pytest.raises(PluginFailed) as info:
        SshKeysPlugin().run(make_ctx(public_keys=KEYS))
    assert "users" in info.value.hint


def test_windows_admins_also_get_administrators_authorized_keys(make_ctx, win):
    win.users.ensure("admin", groups=["Administrators"])
    assert SshKeysPlugin().run(make_ctx(on=win, public_keys=KEYS)) is Outcome.DONE
    own = win.files.read("C:\\Users\\admin\\.ssh\\authorized_keys")
    shared = win.files.read("C:\\ProgramData\\ssh\\administrators_authorized_keys")
    assert own == shared == b"ssh-ed25519 AAAA a\nssh-rsa BBBB b\n"


def test_windows_non_admins_get_only_their_own_file(make_ctx, win):
    win.users.ensure("admin", groups=["Users"])
    SshKeysPlugin().run(make_ctx(on=win, public_keys=KEYS))
    assert win.files.read("C:\\ProgramData\\ssh\\administrators_authorized_keys") is None


def test_the_shared_file_can_be_left_alone(make_ctx, win):
    win.users.ensure("admin", groups=["Administrators"])
    config = with_section(AgentConfig(), "ssh_keys", administrators_file=False)
    SshKeysPlugin().run(make_ctx(config, on=win, public_keys=KEYS))
    assert win.files.read("C:\\ProgramData\\ssh\\administrators_authorized_keys") is None


def test_keys_go_to_the_meta_admin_username(make_ctx, platform):
    platform.users.ensure("ops")
    SshKeysPlugin().run(make_ctx(public_keys=KEYS, meta={"admin_username": "ops"}))
    assert platform.files.read("/home/ops/.ssh/authorized_keys") is not None
