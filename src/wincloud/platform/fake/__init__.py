"""Stateful fakes of every capability: tests and ``--dry-run`` use them; they pass the same
contract suites as the real backends. ``fake_platform(family="windows")`` mimics Windows: the
Windows-only capabilities work, the host wants a reboot for a new name, administrators are the
``Administrators`` group; the default mimics POSIX (those capabilities raise NotSupported)."""

from __future__ import annotations

from typing import Literal

from wincloud.platform.base import Platform
from wincloud.platform.fake.certificates import FakeCertificates
from wincloud.platform.fake.clock import FakeClock
from wincloud.platform.fake.files import FakeFiles
from wincloud.platform.fake.host import FakeHost
from wincloud.platform.fake.hypervisor import FakeHypervisor
from wincloud.platform.fake.licensing import FakeLicensing
from wincloud.platform.fake.network import FakeNetwork
from wincloud.platform.fake.processes import FakeProcesses
from wincloud.platform.fake.remote_access import FakeRemoteAccess
from wincloud.platform.fake.settings import FakeSystemSettings
from wincloud.platform.fake.state import FakeState
from wincloud.platform.fake.users import FakeUsers
from wincloud.platform.fake.volumes import FakeVolumes

__all__ = [
    "FakeCertificates",
    "FakeClock",
    "FakeFiles",
    "FakeHost",
    "FakeHypervisor",
    "FakeLicensing",
    "FakeNetwork",
    "FakeProcesses",
    "FakeRemoteAccess",
    "FakeState",
    "FakeSystemSettings",
    "FakeUsers",
    "FakeVolumes",
    "fake_platform",
]


def fake_platform(*, family: Literal["posix", "windows"] = "posix") -> Platform:
    """A fresh fake platform (no state shared with any other)."""
    windows = family == "windows"
    files = FakeFiles()
    certificates = FakeCertificates(windows=windows)
    admin_groups = ("Administrators",) if windows else ("sudo",)
    return Platform(
        name="fake",
        family=family,
        host=FakeHost(reboot_to_apply_hostname=windows, windows=windows),
        users=FakeUsers(files, admin_groups=admin_groups, windows=windows),
        files=files,
        processes=FakeProcesses(windows=windows),
        state=FakeState(),
        volumes=FakeVolumes(windows=windows),
        network=FakeNetwork(),
        clock=FakeClock(),
        licensing=FakeLicensing(windows=windows),
        certificates=certificates,
        remote_access=FakeRemoteAccess(certificates, windows=windows),
        settings=FakeSystemSettings(windows=windows),
        hypervisor=FakeHypervisor(),
    )
