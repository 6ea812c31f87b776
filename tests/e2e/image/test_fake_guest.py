"""The build monitor end to end: QEMU (TCG) boots a fake guest that prints the stage markers
on ttyS0 and powers off, or fails the ways a Windows build fails."""

from __future__ import annotations

from wincloud.image.build.plan import STAGES


def test_power_off_after_sysprep_is_success(fake_runs):
    result, _ = fake_runs["success"]
    assert result.verdict.ok, result.verdict.describe()
    assert [stage for stage, _ in result.stages] == list(STAGES)
    assert result.screenshot is None


def test_error_marker_fails_with_its_text_and_a_screenshot(fake_runs):
    result, folder = fake_runs["error"]
    verdict = result.verdict
    assert (verdict.ok, verdict.reason, verdict.stage) == (False, "error-marker", "drivers")
    assert verdict.detail == "pnputil /add-driver failed with exit code 5"
    assert result.screenshot is not None and result.screenshot.parent == folder / "out"
    assert result.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "WINCLOUD-ERROR" in (folder / "out" / "fake-error-serial.log").read_text()


def test_stage_timeout_fails_in_that_stage(fake_runs):
    result, _ = fake_runs["hang"]
    verdict = result.verdict
    assert (verdict.ok, verdict.reason, verdict.stage) == (False, "timeout", "specialize")
    assert result.last_lines[-1] == "WINCLOUD-STAGE specialize"
    assert result.screenshot is not None and result.screenshot.exists()


def test_a_screenshot_per_stage_when_asked(fake_runs):
    result, folder = fake_runs["hang"]
    assert [p.name for p in result.screenshots] == [
        "fake-hang-windowspe.png",
        "fake-hang-specialize.png",
    ]
    assert all(p.parent == folder / "out" and p.stat().st_size > 0 for p in result.screenshots)


def test_power_off_before_sysprep_fails(fake_runs):
    result, _ = fake_runs["early"]
    verdict = result.verdict
    assert (verdict.ok, verdict.reason, verdict.stage) == (False, "early-power-off", "agent")


def test_send_key_reaches_the_guest_keyboard(fake_runs):
    result, folder = fake_runs["key"]
    serial = (folder / "work" / "serial.log").read_text()
    assert "WINCLOUD-KEY pressed" in serial
    assert result.verdict.ok


def test_qemu_is_gone_after_every_run(fake_runs):
    import os

    for result, folder in fake_runs.values():
        log = (folder / "work" / "qemu.log").read_text()
        assert "terminating on signal" not in log or not result.verdict.ok
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _is_fake_qemu(p)]


def _is_fake_qemu(pid: str) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"wcfake=" in f.read()
    except OSError:
        return False
