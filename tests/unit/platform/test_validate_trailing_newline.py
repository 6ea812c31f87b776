"""The platform's last line of defence refuses a value with a trailing newline: ``$`` in a
regular expression matches before a final newline, so every check uses a full match."""

from __future__ import annotations

import pytest

from wincloud.errors import PlatformError
from wincloud.platform import validate


@pytest.mark.parametrize(
    ("check", "good"),
    [
        (validate.check_hostname, "web-01.example"),
        (validate.check_username, "admin"),
        (validate.check_ntp_server, "pool.ntp.org"),
        (validate.check_kms_host, "kms.example.com"),
        (validate.check_thumbprint, "A" * 40),
    ],
)
def test_a_trailing_newline_is_refused(check, good):
    assert check(good) == good
    with pytest.raises(PlatformError):
        check(good + "\n")


def test_a_time_zone_with_a_trailing_newline_is_refused():
    validate.check_timezone("Europe/Paris", known=True)
    with pytest.raises(PlatformError):
        validate.check_timezone("Europe/Paris\n", known=True)
