import pytest

from wincloud.errors import PlatformError
from wincloud.platform.windows._win32.advapi import SE_SHUTDOWN_NAME, SHTDN_REASON_PLANNED_RECONFIG
from wincloud.platform.windows._win32.errors import ERROR_NOT_ALL_ASSIGNED
from wincloud.platform.windows._win32.kernel32 import NameKind


def test_hostname_is_the_sysprepped_name_at_first(platform):
    assert platform.host.hostname() == "WIN-TEMPLATE"
    assert platform.host.domain() == ""


def test_new_name_is_pending_until_reboot(platform, win):
    assert platform.host.set_hostname("web-01", domain="example.org") is True
    assert (platform.host.hostname(), platform.host.domain()) == ("web-01", "example.org")
    assert win.kernel32.computer_name(NameKind.PHYSICAL_DNS_HOSTNAME) == "WIN-TEMPLATE"
    win.kernel32.reboot()
    assert win.kernel32.computer_name(NameKind.PHYSICAL_DNS_HOSTNAME) == "web-01"
    assert win.kernel32.computer_name(NameKind.PHYSICAL_DNS_DOMAIN) == "example.org"


def test_setting_the_same_name_again_needs_no_reboot(platform, win):
    platform.host.set_hostname("web-01")
    win.kernel32.reboot()
    assert platform.host.set_hostname("web-01") is False


def test_long_names_keep_their_dns_form_and_truncate_netbios(platform, win):
    platform.host.set_hostname("a-very-long-computer-name")
    win.kernel32.reboot()
    assert win.kernel32.computer_name(NameKind.NETBIOS) == "A-VERY-LONG-COM"


@pytest.mark.parametrize("bad", ["web.example.org", "1234", "under_score", ""])
def test_invalid_computer_names_are_refused(platform, bad):
    with pytest.raises(PlatformError):
        platform.host.set_hostname(bad)


def test_reboot_enables_the_shutdown_privilege_then_asks_once(platform, win):
    platform.host.reboot("wincloud: plugin hostname needs a reboot")
    platform.host.reboot("again")  # ERROR_SHUTDOWN_IN_PROGRESS is not a failure
    assert SE_SHUTDOWN_NAME in win.accounts.privileges_enabled
    [shutdown] = win.accounts.shutdowns
    assert shutdown.reboot and shutdown.reason == SHTDN_REASON_PLANNED_RECONFIG
    assert "hostname" in shutdown.message


def test_reboot_without_the_privilege_fails(platform, win):
    win.accounts.privileges_held.discard(SE_SHUTDOWN_NAME)
    with pytest.raises(PlatformError) as info:
        platform.host.reboot("x")
    assert info.value.os_code == ERROR_NOT_ALL_ASSIGNED
    assert win.accounts.shutdowns == []
