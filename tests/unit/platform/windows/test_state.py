"""WindowsState against the fake registry binding; the same behaviour as the state contract."""

import sys

import pytest

from wincloud.agent.state import AgentState, load_state, save_state
from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.windows import WindowsState
from wincloud.platform.windows._win32.fake import FakeRegistry


def test_state_is_absent_until_written():
    assert WindowsState(FakeRegistry()).read() is None


def test_state_reads_back_the_last_write_from_one_value():
    registry = FakeRegistry()
    store = WindowsState(registry)
    store.write(b'{"version": 1}')
    store.write(b'{"version": 2}')
    assert store.read() == b'{"version": 2}'
    assert registry.values == {(r"software\wincloud\agent", "state"): '{"version": 2}'}
    assert store.where == r"HKLM\SOFTWARE\wincloud\agent\state"


def test_the_agent_state_round_trips_through_the_registry():
    store = WindowsState(FakeRegistry())
    state = AgentState(instance_id="8e5f7b9c", reboots=1)
    save_state(store, state)
    assert load_state(store) == state


def test_non_text_state_is_refused():
    with pytest.raises(PlatformError):
        WindowsState(FakeRegistry()).write(b"\xff\xfe")


def test_the_platform_keeps_its_state_in_the_registry(platform, win):
    platform.state.write(b"{}")
    assert win.registry.read_text(r"SOFTWARE\wincloud\agent", "state") == "{}"


@pytest.mark.skipif(sys.platform == "win32", reason="checks the Linux side")
def test_the_real_binding_is_not_used_off_windows():
    from wincloud.platform.windows._win32.registry import WinRegistry

    with pytest.raises(NotSupported):
        WinRegistry().read_text("SOFTWARE", "x")
    with pytest.raises(NotSupported):
        WinRegistry().write_text("SOFTWARE", "x", "y")
