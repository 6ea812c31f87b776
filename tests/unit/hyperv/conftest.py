"""Hyper-V host fixtures: a fresh FakeHost, and a PsrpHost talking to a localhost replay
server whose answers come from another FakeHost (``replay.fake`` is the state behind the wire)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.unit.hyperv.replay.backend import FakeBackend
from tests.unit.hyperv.replay.server import ReplayServer
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import SwitchInfo
from wincloud.hyperv.psrp import HostSettings, PsrpHost
from wincloud.secret import Secret

SWITCHES = (
    SwitchInfo("external", "External", ("Microsoft Windows Filtering Platform",)),
    SwitchInfo("internal", "Internal"),
)


def new_fake() -> FakeHost:
    return FakeHost(switches=SWITCHES, memory_mb_total=16384, host_reserve_mb=2048, disk_gb=200)


@dataclass
class Replay:
    server: ReplayServer
    fake: FakeHost

    def settings(self, **overrides: object) -> HostSettings:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.server.port,
            "transport": "http",
            "auth": "basic",
            "user": "wincloud",
            "password": Secret("s3cret"),
            "read_timeout_s": 10.0,
            "operation_timeout_s": 2,
            "call_timeout_s": 20.0,
        }
        values.update(overrides)
        return HostSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def fake_host() -> FakeHost:
    return new_fake()


@pytest.fixture
def replay() -> Iterator[Replay]:
    fake = new_fake()
    server = ReplayServer(FakeBackend(fake))
    with server.running():
        yield Replay(server, fake)
    # every parameter PsrpHost sent must be declared by its script, or a real host would refuse
    assert server.mismatches == []


@pytest.fixture
def psrp_host(replay: Replay) -> Iterator[PsrpHost]:
    host = PsrpHost(replay.settings(), write_chunk_bytes=4096)
    yield host
    host.close()
