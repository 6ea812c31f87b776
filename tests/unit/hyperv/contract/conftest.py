"""The contract suite runs every test twice: on the FakeHost directly, and on PsrpHost through
the localhost replay server (whose state is another FakeHost). ``control`` is the FakeHost that
holds the state, for the test hooks a real host has no API for (guest console output, a guest
that ignores shutdown, memory taken by others)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import HyperVHost


@dataclass
class Subject:
    host: HyperVHost
    control: FakeHost
    kind: str


@pytest.fixture(params=["fake", "psrp"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "fake":
        fake = request.getfixturevalue("fake_host")
        return Subject(fake, fake, "fake")
    replay = request.getfixturevalue("replay")
    return Subject(request.getfixturevalue("psrp_host"), replay.fake, "psrp")
