from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.extend_volumes import ExtendVolumesPlugin

GB = 1 << 30


def test_every_growable_volume_is_extended(make_ctx, win):
    win.volumes.sizes.update({"C:": (40 * GB, 80 * GB), "D:": (10 * GB, 10 * GB)})
    assert ExtendVolumesPlugin().run(make_ctx(on=win)) is Outcome.DONE
    assert win.volumes.sizes == {"C:": (80 * GB, 80 * GB), "D:": (10 * GB, 10 * GB)}
    assert win.volumes.extended == ["C:"]


def test_only_the_configured_volumes(make_ctx, win):
    win.volumes.sizes.update({"C:": (1, 2), "E:": (1, 2)})
    config = with_section(AgentConfig(), "extend_volumes", volumes=["e:"])
    ExtendVolumesPlugin().run(make_ctx(config, on=win))
    assert win.volumes.extended == ["E:"]


def test_nothing_to_grow_is_skipped(make_ctx, win):
    win.volumes.sizes.update({"C:": (5, 5)})
    assert ExtendVolumesPlugin().run(make_ctx(on=win)) is Outcome.SKIPPED


def test_posix_is_skipped_with_a_log_line(make_ctx, posix, caplog):
    caplog.set_level("INFO")
    assert ExtendVolumesPlugin().run(make_ctx(on=posix)) is Outcome.SKIPPED
    assert "not-supported" in caplog.text
