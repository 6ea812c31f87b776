import json

from wincloud.agent.state import AgentState, PluginRecord, load_state, save_state
from wincloud.platform.fake import FakeState


def test_state_round_trips():
    store = FakeState()
    state = AgentState(instance_id="i-1", reboots=2)
    state.plugins["hostname"] = PluginRecord("done", "2026-11-25T10:00:00+00:00")
    state.once["licensing"] = "2026-11-25T10:00:00+00:00"
    state.memos["userdata"] = {"0:abc": "done"}
    save_state(store, state)
    assert json.loads(store.data)["version"] == 1
    assert load_state(store) == state


def test_nothing_stored_is_a_fresh_state():
    assert load_state(FakeState()) == AgentState()


def test_a_new_instance_forgets_per_instance_progress_but_not_once():
    state = AgentState(instance_id="old", reboots=3)
    state.plugins["hostname"] = PluginRecord("done", "t")
    state.once["licensing"] = "t"
    state.memos["userdata"] = {"k": "done"}
    assert state.switch_instance("new") is True
    assert (state.plugins, state.memos, state.reboots) == ({}, {}, 0)
    assert state.once == {"licensing": "t"}
    assert state.switch_instance("new") is False


def test_corrupt_or_future_state_starts_afresh():
    for raw in (b"{not json", b'{"version": 99}', b"[]", b'{"version": 1, "plugins": 3}', b"\xff"):
        assert load_state(FakeState(raw)) == AgentState()
