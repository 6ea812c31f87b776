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


def test_an_alternate_root_is_skipped_with_a_log_line(make_ctx, posix, caplog):
    caplog.set_level("INFO")
    assert ExtendVolumesPlugin().run(make_ctx(on=posix)) is Outcome.SKIPPED
    assert "not-supported" in caplog.text


def test_linux_grows_the_root_file_system_by_default(make_ctx, platform):
    platform.volumes.sizes.update({"/": (8 * GB, 20 * GB), "/srv": (1 * GB, 5 * GB)})
    assert ExtendVolumesPlugin().run(make_ctx(on=platform)) is Outcome.DONE
    assert platform.volumes.extended == ["/"]
    assert platform.volumes.sizes["/srv"] == (1 * GB, 5 * GB)


def test_linux_grows_the_configured_mount_points_only(make_ctx, platform):
    platform.volumes.sizes.update({"/": (8 * GB, 20 * GB), "/srv": (1 * GB, 5 * GB)})
    config = with_section(AgentConfig(), "extend_volumes", volumes=["/srv"])
    assert ExtendVolumesPlugin().run(make_ctx(config, on=platform)) is Outcome.DONE
    assert platform.volumes.extended == ["/srv"]


def test_linux_mount_points_match_exactly(make_ctx, platform):
    platform.volumes.sizes.update({"/srv": (1 * GB, 5 * GB)})
    config = with_section(AgentConfig(), "extend_volumes", volumes=["/SRV"])
    assert ExtendVolumesPlugin().run(make_ctx(config, on=platform)) is Outcome.SKIPPED
    assert platform.volumes.extended == []


def test_a_volume_that_fails_does_not_stop_the_others(make_ctx, win, caplog):
    import pytest

    from wincloud.errors import PlatformError

    win.volumes.sizes.update({"C:": (1 * GB, 2 * GB), "D:": (1 * GB, 2 * GB)})
    win.volumes.refused["C:"] = "a partition follows it on the disk"
    with pytest.raises(PlatformError, match="1 of 2 volumes"):
        ExtendVolumesPlugin().run(make_ctx(on=win))
    assert win.volumes.extended == ["D:"]
    assert "volume=C:" in caplog.text and "a partition follows it" in caplog.text
