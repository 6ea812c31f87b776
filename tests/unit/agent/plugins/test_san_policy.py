from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.san_policy import SanPolicyPlugin


def test_online_all_by_default(make_ctx, win):
    assert SanPolicyPlugin().run(make_ctx(on=win)) is Outcome.DONE
    assert win.settings.san_policy() == "online_all"


def test_keep_leaves_it(make_ctx, win):
    config = with_section(AgentConfig(), "san_policy", policy="keep")
    assert SanPolicyPlugin().run(make_ctx(config, on=win)) is Outcome.SKIPPED
    assert win.settings.san_policy() == "offline_shared"


def test_posix_is_skipped(make_ctx, platform):
    assert SanPolicyPlugin().run(make_ctx()) is Outcome.SKIPPED
