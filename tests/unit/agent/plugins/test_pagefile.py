import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.pagefile import PageFilePlugin
from wincloud.errors import PluginFailed
from wincloud.platform import PageFile


def config(**values):
    return with_section(AgentConfig(), "pagefile", **values)


def test_kept_by_default(make_ctx, win):
    assert PageFilePlugin().run(make_ctx(on=win)) is Outcome.SKIPPED


def test_custom_files_need_a_reboot_once(make_ctx, win):
    ctx = make_ctx(
        config(mode="custom", paths=["D:\\pagefile.sys"], initial_mb=1024, maximum_mb=4096), on=win
    )
    assert PageFilePlugin().run(ctx) is Outcome.REBOOT
    assert win.settings.page_files() == [PageFile("D:\\pagefile.sys", 1024, 4096)]
    assert PageFilePlugin().run(ctx) is Outcome.DONE


def test_automatic_management(make_ctx, win):
    win.settings.set_page_files([PageFile("C:\\pagefile.sys", 0, 0)])
    assert PageFilePlugin().run(make_ctx(config(mode="automatic"), on=win)) is Outcome.REBOOT
    assert win.settings.page_files() is None


@pytest.mark.parametrize(
    "values", [{"paths": []}, {"initial_mb": 4096, "maximum_mb": 1024}, {"initial_mb": 10}]
)
def test_a_bad_configuration_is_a_clear_error(make_ctx, win, values):
    with pytest.raises(PluginFailed):
        PageFilePlugin().run(make_ctx(config(mode="custom", **values), on=win))
    assert win.settings.page_files() is None


def test_posix_is_skipped(make_ctx, platform):
    assert PageFilePlugin().run(make_ctx(config(mode="automatic"))) is Outcome.SKIPPED
