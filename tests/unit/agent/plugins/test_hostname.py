import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.hostname import HostnamePlugin
from wincloud.errors import PlatformError


def test_short_name_is_set(make_ctx, platform):
    assert HostnamePlugin().run(make_ctx(hostname="web-01.novalocal")) is Outcome.DONE
    assert platform.host.hostname() == "web-01"


def test_fqdn_when_configured(make_ctx, platform):
    config = with_section(AgentConfig(), "hostname", use_fqdn=True)
    HostnamePlugin().run(make_ctx(config, hostname="web-01.example.org"))
    assert platform.host.hostname() == "web-01.example.org"


def test_no_hostname_is_skipped(make_ctx, platform):
    assert HostnamePlugin().run(make_ctx()) is Outcome.SKIPPED
    assert platform.host.hostname() == ""


def test_a_platform_that_needs_a_reboot_gets_one(make_ctx, platform):
    platform.host.reboot_to_apply_hostname = True
    assert HostnamePlugin().run(make_ctx(hostname="win-01")) is Outcome.REBOOT


def test_already_set_needs_nothing(make_ctx, platform):
    platform.host.reboot_to_apply_hostname = True
    platform.host.set_hostname("win-01")
    assert HostnamePlugin().run(make_ctx(hostname="win-01")) is Outcome.DONE


def test_an_invalid_name_fails(make_ctx):
    with pytest.raises(PlatformError):
        HostnamePlugin().run(make_ctx(hostname="bad_name!"))
