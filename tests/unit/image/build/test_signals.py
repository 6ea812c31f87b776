"""The signal policy of long image commands: SIGTERM and SIGHUP unwind like Ctrl-C (cleanup
runs), a SIGHUP ignored by ``nohup`` stays ignored, and the old handlers come back after."""

from __future__ import annotations

import os
import signal

import pytest

from wincloud.cli._signals import sigterm_unwinds


@pytest.fixture
def restore_hup():
    before = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, before)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_unwinds_like_ctrl_c(signum, restore_hup):
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    cleaned = []
    with pytest.raises(KeyboardInterrupt), sigterm_unwinds():
        try:
            os.kill(os.getpid(), signum)
            signal.sigtimedwait([], 0)  # let the handler run
        finally:
            cleaned.append(signum)
    assert cleaned == [signum]
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL


def test_a_hangup_ignored_by_nohup_stays_ignored(restore_hup):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with sigterm_unwinds():
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGHUP)  # ignored: no KeyboardInterrupt
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
