"""The stage monitor: markers in, verdicts out, on a clock the test holds."""

from __future__ import annotations

import pytest

from wincloud.image.build.monitor import StageMonitor
from wincloud.image.build.plan import STAGES

LIMITS = {
    "boot": 10,
    "windowspe": 100,
    "specialize": 50,
    "firstlogon": 30,
    "drivers": 30,
    "agent": 30,
    "sysprep": 20,
}


def monitor() -> StageMonitor:
    return StageMonitor(LIMITS, now=0.0)


def test_power_off_after_sysprep_is_success():
    m = monitor()
    for n, stage in enumerate(STAGES):
        m.feed(f"WINCLOUD-STAGE {stage}\r\n", now=float(n))
    verdict = m.powered_off(now=9.0)
    assert verdict.ok and verdict.stage == "sysprep"


def test_markers_split_across_reads_are_found():
    m = monitor()
    entered = m.feed("noise\nWINCLOUD-STA", now=1.0) + m.feed("GE windowspe\nWINCLOUD-", now=2.0)
    entered += m.feed("STAGE specialize \r\n", now=3.0)
    assert entered == ["windowspe", "specialize"]


def test_error_marker_fails_in_the_current_stage():
    m = monitor()
    m.feed("WINCLOUD-STAGE drivers\nWINCLOUD-ERROR pnputil failed with exit code 5\n", now=1.0)
    verdict = m.check(now=1.0)
    assert verdict is not None and not verdict.ok
    assert (verdict.reason, verdict.stage, verdict.detail) == (
        "error-marker",
        "drivers",
        "pnputil failed with exit code 5",
    )


def test_each_stage_has_its_own_timeout():
    m = monitor()
    m.feed("WINCLOUD-STAGE windowspe\n", now=5.0)
    assert m.check(now=104.9) is None
    verdict = m.check(now=105.0)
    assert verdict is not None and (verdict.reason, verdict.stage) == ("timeout", "windowspe")
    assert "100 s" in verdict.detail


def test_boot_timeout_before_any_marker():
    verdict = monitor().check(now=10.0)
    assert verdict is not None and verdict.stage == "boot" and verdict.reason == "timeout"


def test_a_marker_restarts_the_clock():
    m = monitor()
    m.feed("WINCLOUD-STAGE windowspe\n", now=90.0)
    m.feed("WINCLOUD-STAGE specialize\n", now=180.0)
    assert m.check(now=229.0) is None


def test_power_off_before_sysprep_fails():
    m = monitor()
    m.feed("WINCLOUD-STAGE agent\n", now=1.0)
    verdict = m.powered_off(now=2.0)
    assert not verdict.ok and (verdict.reason, verdict.stage) == ("early-power-off", "agent")


def test_last_unterminated_line_counts_at_power_off():
    m = monitor()
    m.feed("WINCLOUD-STAGE sysprep", now=1.0)
    assert m.powered_off(now=2.0).ok


def test_repeated_or_earlier_marker_keeps_the_stage():
    m = monitor()
    m.feed(
        "WINCLOUD-STAGE specialize\nWINCLOUD-STAGE windowspe\nWINCLOUD-STAGE specialize\n", now=1.0
    )
    assert m.stage == "specialize"
    assert [s for s, _ in m.history] == ["boot", "specialize"]


def test_unknown_stage_is_ignored():
    m = monitor()
    assert m.feed("WINCLOUD-STAGE reboot\n", now=1.0) == []
    assert m.stage == "boot"


def test_first_verdict_stays():
    m = monitor()
    m.feed("WINCLOUD-ERROR disk full\n", now=1.0)
    m.feed("WINCLOUD-STAGE sysprep\n", now=2.0)
    assert m.powered_off(now=3.0).reason == "error-marker"


def test_last_lines_are_kept_without_carriage_returns():
    m = monitor()
    m.feed("".join(f"line {n}\r\n" for n in range(100)), now=1.0)
    assert list(m.last_lines)[-1] == "line 99"
    assert len(m.last_lines) == 40


def test_every_stage_needs_a_timeout():
    with pytest.raises(ValueError, match="sysprep"):
        StageMonitor({k: v for k, v in LIMITS.items() if k != "sysprep"}, now=0.0)


def test_terminal_control_sequences_are_dropped():
    m = monitor()
    entered = m.feed("\x1b[2J\x1b[01;01H\x1b[=3hWINCLOUD-STAGE windowspe\x1b[0m\r\n", now=1.0)
    assert entered == ["windowspe"]
    assert list(m.last_lines) == ["WINCLOUD-STAGE windowspe"]
