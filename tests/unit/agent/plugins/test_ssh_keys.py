import pytest

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
