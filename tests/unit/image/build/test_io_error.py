"""A QMP BLOCK_IO_ERROR with action "stop" (QEMU paused the guest: by default on ENOSPC, a full
host file system) fails the build at once. The runner ignored the event: the paused guest
waited for its stage timeout, up to an hour, and the build then said "timed out". The event
is QEMU's (qapi/block-core.json: device, node-name, operation, action, nospace, reason)."""

from __future__ import annotations

from pathlib import Path

from wincloud.image.build.plan import STAGES, BootPlan
from wincloud.image.build.progress import NullProgress
from wincloud.image.build.runner import _Follower


class FakeQmp:
    def __init__(self, events: list[dict]) -> None:
        self.events = events

    def take_events(self) -> list[dict]:
        events, self.events = self.events, []
        return events


class RunningQemu:
    def poll(self) -> int | None:
        return None


def _judge(events: list[dict]):
    limits = dict.fromkeys(("boot", *STAGES), 600.0)
    plan = BootPlan(name="t", accel="tcg", timeouts=limits)
    follower = _Follower(
        plan,
        RunningQemu(),
        FakeQmp(events),
        None,
        Path("."),
        Path("."),
        NullProgress(),
        lambda: 5.0,
    )
    return follower._judge(5.0, None, None)


def _event(**data) -> dict:
    base = {"device": "", "node-name": "disk0", "operation": "write", "action": "stop"}
    return {"event": "BLOCK_IO_ERROR", "data": {**base, **data}}


def test_a_full_host_file_system_fails_the_build_at_once():
    verdict = _judge([_event(nospace=True, reason="No space left on device")])
    assert (verdict.ok, verdict.reason, verdict.stage) == (False, "qemu-failed", "boot")
    assert verdict.detail == (
        "the host file system of the disk image is full (write error on disk0; "
        "QEMU paused the guest)"
    )


def test_another_error_that_paused_the_guest_is_named():
    verdict = _judge([_event(nospace=False, reason="Input/output error")])
    assert verdict.detail == "write error on disk0: Input/output error (QEMU paused the guest)"


def test_an_error_reported_to_the_guest_does_not_end_the_build():
    # action "report": the guest sees the error and may retry; the stage timeout still holds
    assert _judge([_event(action="report", reason="Input/output error")]) is None
