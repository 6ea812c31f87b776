import os

import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.timezone import TimezonePlugin
from wincloud.errors import PlatformError


def test_meta_timezone_wins(make_ctx, platform):
    config = with_section(AgentConfig(), "timezone", name="UTC")
    assert TimezonePlugin().run(make_ctx(config, meta={"timezone": "Europe/Paris"})) is Outcome.DONE
    assert platform.clock.timezone() == "Europe/Paris"


def test_config_timezone_when_no_meta(make_ctx, platform):
    TimezonePlugin().run(make_ctx(with_section(AgentConfig(), "timezone", name="UTC")))
    assert platform.clock.timezone() == "UTC"


def test_nothing_given_is_skipped(make_ctx, platform):
    assert TimezonePlugin().run(make_ctx()) is Outcome.SKIPPED


def test_an_unknown_zone_is_a_clear_error(make_ctx, platform):
    with pytest.raises(PlatformError, match="unknown time zone"):
        TimezonePlugin().run(make_ctx(meta={"timezone": "Mars/Olympus"}))
    assert platform.clock.timezone() is None


def test_posix_links_etc_localtime(make_ctx, posix, root):
    TimezonePlugin().run(make_ctx(on=posix, meta={"timezone": "Europe/Paris"}))
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert (root / "etc/timezone").read_text() == "Europe/Paris\n"
