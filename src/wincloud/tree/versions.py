"""The API versions Nova serves, and which files each one introduced."""

from __future__ import annotations

from typing import Final

OPENSTACK_VERSIONS: Final[tuple[str, ...]] = (
    "2012-08-10",
    "2013-04-04",
    "2013-10-17",
    "2015-10-15",
    "2016-06-30",
    "2016-10-06",
    "2017-02-22",
    "2018-08-27",
    "2020-10-14",
    "2025-04-04",
)
EC2_VERSIONS: Final[tuple[str, ...]] = (
    "1.0",
    "2007-01-19",
    "2007-03-01",
    "2007-08-29",
    "2007-10-10",
    "2007-12-15",
    "2008-02-01",
    "2008-09-01",
    "2009-04-04",
)
# Nova writes only these EC2 versions onto a config drive.
EC2_DRIVE_VERSIONS: Final[tuple[str, ...]] = ("2009-04-04",)
LATEST: Final = "latest"

# OpenStack: the version that introduced each optional file or field.
PASSWORD_SINCE: Final = "2013-04-04"  # noqa: S105 - a version, not a secret
RANDOM_SEED_SINCE: Final = "2013-04-04"
VENDOR_DATA_SINCE: Final = "2013-10-17"
PROJECT_ID_SINCE: Final = "2015-10-15"
NETWORK_DATA_SINCE: Final = "2015-10-15"
DEVICES_SINCE: Final = "2016-06-30"
DEVICE_VLAN_SINCE: Final = "2017-02-22"  # devices[]: a nic's vlan
DEVICE_VF_TRUSTED_SINCE: Final = "2018-08-27"  # devices[]: a nic's vf_trusted (false if unset)
DEVICE_SHARE_SINCE: Final = "2025-04-04"  # devices[]: type share
VENDOR_DATA2_SINCE: Final = "2016-10-06"
DEDICATED_CPUS_SINCE: Final = "2020-10-14"


def since(version: str, introduced: str) -> bool:
    """True when ``version`` (a date or "latest") includes what ``introduced`` brought.

    Dates compare as strings; EC2's "1.0" sorts before every date.
    """
    return version == LATEST or version >= introduced
