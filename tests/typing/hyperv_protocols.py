"""mypy-only: both Hyper-V host implementations fit the HyperVHost Protocol. Checked by
``mypy --strict tests/typing`` (never run by pytest)."""

from __future__ import annotations

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import HyperVHost
from wincloud.hyperv.psrp import HostSettings, PsrpHost


def fake_host() -> HyperVHost:
    host: HyperVHost = FakeHost()
    return host


def psrp_host() -> HyperVHost:
    host: HyperVHost = PsrpHost(HostSettings("hv01.example.net"))
    return host
