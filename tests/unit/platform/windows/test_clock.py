import pytest

from wincloud.errors import PlatformError

W32TIME = r"SYSTEM\CurrentControlSet\Services\W32Time\Parameters"


def test_timezone_is_read_from_the_registry(platform):
    assert platform.clock.timezone() == "UTC"


def test_set_timezone_runs_tzutil_once_and_reads_back_the_iana_name(platform, win):
    assert platform.clock.set_timezone("Europe/Paris") is True
    assert platform.clock.set_timezone("Europe/Paris") is False
    assert platform.clock.timezone() == "Europe/Paris"
    key = win.registry.read_text(
        r"SYSTEM\CurrentControlSet\Control\TimeZoneInformation", "TimeZoneKeyName"
    )
    assert key == "Romance Standard Time"
    tzutil = [r.argv for r in win.spawner.ran if r.argv[0].endswith("tzutil.exe")]
    assert tzutil == [(r"C:\Windows\System32\tzutil.exe", "/s", "Romance Standard Time")]


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../etc/passwd", "", "Asia/Tokyo"])
def test_unknown_timezone_is_refused(platform, bad):
    # Asia/Tokyo maps to a Windows zone this fake machine does not have
    with pytest.raises(PlatformError):
        platform.clock.set_timezone(bad)


def test_ntp_servers_configure_w32time(platform, win):
    assert platform.clock.ntp_servers() == []
    assert platform.clock.set_ntp_servers(["0.pool.ntp.org", "10.0.0.1"]) is True
    assert platform.clock.set_ntp_servers(["0.pool.ntp.org", "10.0.0.1"]) is False
    assert platform.clock.ntp_servers() == ["0.pool.ntp.org", "10.0.0.1"]
    assert win.registry.read_text(W32TIME, "NtpServer") == "0.pool.ntp.org,0x8 10.0.0.1,0x8"
    assert win.services.query("w32time").state == "running"
    assert win.services.query("w32time").start == "auto"
    assert ("/config", "/update") in win.tools.w32tm


def test_invalid_ntp_server_is_refused(platform):
    with pytest.raises(PlatformError):
        platform.clock.set_ntp_servers(["bad host"])
