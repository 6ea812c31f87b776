import pytest

from tests.unit.agent.conftest import with_section
from wincloud.agent.config import AgentConfig
from wincloud.agent.plugins import Outcome
from wincloud.agent.plugins.hostname import HostnamePlugin
from wincloud.errors import InvalidMetadata, PlatformError


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


def test_characters_a_host_name_cannot_hold_become_dashes(make_ctx, platform):
    HostnamePlugin().run(make_ctx(hostname="bad_name!.example.org"))
    assert platform.host.hostname() == "bad-name"


def test_an_invalid_domain_from_the_platform_is_refused(make_ctx, platform):
    config = with_section(AgentConfig(), "hostname", use_fqdn=True)
    with pytest.raises(PlatformError):
        HostnamePlugin().run(make_ctx(config, hostname="web." + ".".join(["a" * 60] * 5)))


def test_name_is_used_when_there_is_no_hostname(make_ctx, platform):
    HostnamePlugin().run(make_ctx(name="My Web Server"))
    assert platform.host.hostname() == "My-Web-Server"


def test_the_domain_goes_to_etc_hosts_not_the_name(make_ctx, platform):
    HostnamePlugin().run(make_ctx(hostname="web-01.example.org"))
    assert (platform.host.hostname(), platform.host.domain()) == ("web-01", "example.org")


def test_metadata_without_a_usable_name_is_a_clear_error(make_ctx, platform):
    with pytest.raises(InvalidMetadata) as info:
        HostnamePlugin().run(make_ctx(hostname="...___"))
    assert "hostname" in str(info.value)
    assert platform.host.hostname() == ""


def test_windows_cuts_the_name_to_15_characters_and_reboots(make_ctx, win):
    ctx = make_ctx(on=win, hostname="a-very-long-instance-name.novalocal")
    assert HostnamePlugin().run(ctx) is Outcome.REBOOT
    assert win.host.hostname() == "a-very-long-ins"
    assert win.host.domain() == ""


def test_windows_cut_does_not_end_in_a_dash(make_ctx, win):
    HostnamePlugin().run(make_ctx(on=win, hostname="abcdefghijklmn-pqrs"))
    assert win.host.hostname() == "abcdefghijklmn"


def test_windows_long_names_are_kept_without_netbios_compatibility(make_ctx, win):
    config = with_section(AgentConfig(), "hostname", netbios_compatible=False)
    HostnamePlugin().run(make_ctx(config, on=win, hostname="a-very-long-instance-name"))
    assert win.host.hostname() == "a-very-long-instance-name"


def test_windows_fqdn_sets_the_primary_dns_suffix(make_ctx, win):
    config = with_section(AgentConfig(), "hostname", use_fqdn=True)
    HostnamePlugin().run(make_ctx(config, on=win, hostname="web-01.corp.example.org"))
    assert (win.host.hostname(), win.host.domain()) == ("web-01", "corp.example.org")


def test_windows_rejects_a_name_of_digits_only_before_changing_anything(make_ctx, win):
    with pytest.raises(InvalidMetadata, match="only digits"):
        HostnamePlugin().run(make_ctx(on=win, hostname="12345.example.org"))
    assert win.host.hostname() == ""


def test_second_run_on_windows_needs_no_second_reboot(make_ctx, win):
    HostnamePlugin().run(make_ctx(on=win, hostname="win-01"))
    assert HostnamePlugin().run(make_ctx(on=win, hostname="win-01")) is Outcome.DONE
