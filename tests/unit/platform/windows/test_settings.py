import pytest

from wincloud.errors import PlatformError
from wincloud.platform.base import PageFile

MEMORY = r"SYSTEM\CurrentControlSet\Control\Session Manager\Memory Management"


def test_display_timeout_is_set_for_ac_and_dc_once(platform, win):
    assert platform.settings.set_display_idle_timeout(0) is True
    assert platform.settings.set_display_idle_timeout(0) is False
    assert win.tools.power == {"ac": 0, "dc": 0}
    assert win.tools.power_applied == 1
    with pytest.raises(PlatformError):
        platform.settings.set_display_idle_timeout(-1)


def test_page_files_are_automatic_until_configured(platform, win):
    assert platform.settings.page_files() is None
    files = [PageFile(r"C:\pagefile.sys", 1024, 4096), PageFile(r"D:\pagefile.sys")]
    assert platform.settings.set_page_files(files) is True
    assert platform.settings.set_page_files(files) is False
    assert platform.settings.page_files() == files
    assert win.registry.read_multi(MEMORY, "PagingFiles") == [
        r"C:\pagefile.sys 1024 4096",
        r"D:\pagefile.sys 0 0",
    ]
    [system] = win.wmi.instances(r"root\cimv2", "Win32_ComputerSystem")
    assert system.props["AutomaticManagedPagefile"] is False
    assert platform.settings.set_page_files(None) is True
    assert platform.settings.page_files() is None
    assert system.props["AutomaticManagedPagefile"] is True


def test_san_policy_defaults_to_offline_shared_on_servers(platform, win):
    assert platform.settings.san_policy() == "offline_shared"
    assert platform.settings.set_san_policy("online_all") is True
    assert platform.settings.set_san_policy("online_all") is False
    assert platform.settings.san_policy() == "online_all"
    assert (
        win.registry.read_dword(
            r"SYSTEM\CurrentControlSet\Services\partmgr\Parameters", "SanPolicy"
        )
        == 1
    )
