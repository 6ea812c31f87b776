from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.display_idle import DisplayIdlePlugin


def test_display_never_turns_off_by_default(make_ctx, win):
    assert DisplayIdlePlugin().run(make_ctx(on=win)) is Outcome.DONE
    assert win.settings.display_idle_timeout == 0


def test_timeout_from_the_config(make_ctx, win):
    DisplayIdlePlugin().run(
        make_ctx(with_section(AgentConfig(), "display_idle", timeout=900), on=win)
    )
    assert win.settings.display_idle_timeout == 900


def test_posix_is_skipped(make_ctx, posix):
    assert DisplayIdlePlugin().run(make_ctx(on=posix)) is Outcome.SKIPPED
