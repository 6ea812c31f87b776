import pytest

from wincloud.errors import PlatformError


def test_timezone_is_unset_at_first(rig):
    assert rig.platform.clock.timezone() is None


def test_timezone_set_once_changes_once(rig):
    assert rig.platform.clock.set_timezone("Europe/Paris") is True
    assert rig.platform.clock.set_timezone("Europe/Paris") is False
    assert rig.platform.clock.timezone() == "Europe/Paris"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../etc/passwd", ""])
def test_unknown_timezone_is_refused(rig, bad):
    with pytest.raises(PlatformError):
        rig.platform.clock.set_timezone(bad)


def test_ntp_servers_read_back(rig):
    assert rig.platform.clock.ntp_servers() == []
    assert rig.platform.clock.set_ntp_servers(["0.pool.ntp.org", "10.0.0.1"]) is True
    assert rig.platform.clock.set_ntp_servers(["0.pool.ntp.org", "10.0.0.1"]) is False
    assert rig.platform.clock.ntp_servers() == ["0.pool.ntp.org", "10.0.0.1"]
