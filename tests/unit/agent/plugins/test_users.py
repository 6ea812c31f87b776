import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.users import UsersPlugin
from wincloud.errors import InvalidMetadata


def test_admin_user_is_created_in_the_platform_admin_groups(make_ctx, platform):
    assert UsersPlugin().run(make_ctx()) is Outcome.DONE
    assert platform.users.groups_of("admin") == platform.users.admin_groups()


def test_configured_name_and_groups(make_ctx, platform):
    config = with_section(AgentConfig(), "users", username="ops", groups=["wheel", "adm"])
    UsersPlugin().run(make_ctx(config))
    assert platform.users.groups_of("ops") == ["adm", "wheel"]


def test_running_twice_changes_nothing(make_ctx, platform):
    UsersPlugin().run(make_ctx())
    assert UsersPlugin().run(make_ctx()) is Outcome.DONE
    assert list(platform.users.users) == ["root", "admin"]


def test_existing_user_is_updated_into_the_admin_groups(make_ctx, platform):
    platform.users.ensure("admin", groups=["video"])
    UsersPlugin().run(make_ctx())
    assert platform.users.groups_of("admin") == ["sudo", "video"]


def test_meta_admin_username_wins(make_ctx, platform):
    UsersPlugin().run(make_ctx(meta={"admin_username": "cloudadmin"}))
    assert platform.users.exists("cloudadmin") and not platform.users.exists("admin")


def test_meta_admin_username_ignored_when_configured(make_ctx, platform):
    config = with_section(AgentConfig(), "users", username_from_metadata=False)
    UsersPlugin().run(make_ctx(config, meta={"admin_username": "cloudadmin"}))
    assert platform.users.exists("admin") and not platform.users.exists("cloudadmin")


def test_bad_meta_admin_username_is_a_clear_error(make_ctx, platform):
    with pytest.raises(InvalidMetadata) as info:
        UsersPlugin().run(make_ctx(meta={"admin_username": "bad name;rm"}))
    assert "meta.admin_username" in str(info.value)
    assert list(platform.users.users) == ["root"]


def test_windows_admin_goes_to_administrators(make_ctx, win):
    UsersPlugin().run(make_ctx(on=win))
    assert win.users.groups_of("admin") == ["Administrators"]
