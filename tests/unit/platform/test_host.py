import pytest

from wincloud.errors import PlatformError


def test_hostname_reads_back_what_was_set(rig):
    rig.platform.host.set_hostname("web-01")
    assert rig.platform.host.hostname() == "web-01"


def test_set_hostname_on_posix_and_fake_needs_no_reboot(rig):
    assert rig.platform.host.set_hostname("web-01") is False


@pytest.mark.parametrize("bad", ["", "-lead", "under_score", "a" * 64, "dots..twice"])
def test_invalid_hostname_is_refused(rig, bad):
    with pytest.raises(PlatformError):
        rig.platform.host.set_hostname(bad)


def test_reboot_returns_to_the_caller(rig):
    rig.platform.host.reboot("test")


def test_domain_reads_back_and_is_empty_at_first(rig):
    assert rig.platform.host.domain() == ""
    rig.platform.host.set_hostname("web-01", domain="example.org")
    assert (rig.platform.host.hostname(), rig.platform.host.domain()) == ("web-01", "example.org")


def test_an_invalid_domain_is_refused(rig):
    with pytest.raises(PlatformError):
        rig.platform.host.set_hostname("web-01", domain="bad_domain")
