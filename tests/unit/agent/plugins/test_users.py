from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.users import UsersPlugin


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
