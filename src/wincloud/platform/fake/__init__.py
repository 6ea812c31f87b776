"""Stateful fakes of every capability: tests and ``--dry-run`` use them; they pass the same
contract suites as the real backends."""

from __future__ import annotations

from wincloud.platform.base import Platform
from wincloud.platform.fake.clock import FakeClock
from wincloud.platform.fake.files import FakeFiles
from wincloud.platform.fake.host import FakeHost
from wincloud.platform.fake.network import FakeNetwork
from wincloud.platform.fake.processes import FakeProcesses
from wincloud.platform.fake.state import FakeState
from wincloud.platform.fake.users import FakeUsers
from wincloud.platform.fake.volumes import FakeVolumes

__all__ = [
    "FakeClock",
    "FakeFiles",
    "FakeHost",
    "FakeNetwork",
    "FakeProcesses",
    "FakeState",
    "FakeUsers",
    "FakeVolumes",
    "fake_platform",
]


def fake_platform() -> Platform:
    """A fresh fake platform (no state shared with any other)."""
    files = FakeFiles()
    return Platform(
        name="fake",
        host=FakeHost(),
        users=FakeUsers(files),
        files=files,
        processes=FakeProcesses(),
        state=FakeState(),
        volumes=FakeVolumes(),
        network=FakeNetwork(),
        clock=FakeClock(),
    )
