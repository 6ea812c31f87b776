"""The agent's memory between runs: a versioned JSON document kept by the platform's State
capability (a file on POSIX, the registry on Windows), written atomically after every plugin.

A document this version cannot read (corrupt, or from a newer agent) is ignored with a warning
and replaced at the next write: the agent then runs as on a first boot rather than not at all.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Final

from wincloud.platform import State

log = logging.getLogger(__name__)

STATE_VERSION: Final = 1


@dataclass
class PluginRecord:
    outcome: str
    at: str


@dataclass
class AgentState:
    instance_id: str | None = None
    plugins: dict[str, PluginRecord] = field(default_factory=dict)
    """Per-instance plugins that are done, for ``instance_id``."""
    once: dict[str, str] = field(default_factory=dict)
    """Once-ever plugins: name -> when; survives a change of instance."""
    memos: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-plugin notes for ``instance_id``."""
    reboots: int = 0
    """Reboots the agent asked for, for ``instance_id``."""

    def switch_instance(self, instance_id: str) -> bool:
        """Forget per-instance progress when the id changed (a cloned image); True then."""
        if self.instance_id == instance_id:
            return False
        self.instance_id = instance_id
        self.plugins.clear()
        self.memos.clear()
        self.reboots = 0
        return True

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "version": STATE_VERSION,
            "instance_id": self.instance_id,
            "plugins": {
                name: {"outcome": r.outcome, "at": r.at} for name, r in sorted(self.plugins.items())
            },
            "once": dict(sorted(self.once.items())),
            "memos": {name: dict(memo) for name, memo in sorted(self.memos.items()) if memo},
            "reboots": self.reboots,
        }
        return (json.dumps(doc, indent=2) + "\n").encode()


def parse_state(raw: bytes) -> AgentState:
    """ValueError when the document is not a state this version reads."""
    doc = json.loads(raw.decode("utf-8"))
    if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
        version = doc.get("version") if isinstance(doc, dict) else None
        raise ValueError(f"unsupported state version {version!r}")
    instance_id = doc.get("instance_id")
    plugins = doc.get("plugins", {})
    once = doc.get("once", {})
    memos = doc.get("memos", {})
    reboots = doc.get("reboots", 0)
    if not (
        (instance_id is None or isinstance(instance_id, str))
        and isinstance(plugins, dict)
        and all(isinstance(r, dict) for r in plugins.values())
        and isinstance(once, dict)
        and isinstance(memos, dict)
        and all(isinstance(m, dict) for m in memos.values())
        and isinstance(reboots, int)
    ):
        raise ValueError("malformed state document")
    return AgentState(
        instance_id=instance_id,
        plugins={
            str(name): PluginRecord(str(r.get("outcome", "")), str(r.get("at", "")))
            for name, r in plugins.items()
        },
        once={str(k): str(v) for k, v in once.items()},
        memos={str(n): {str(k): str(v) for k, v in m.items()} for n, m in memos.items()},
        reboots=reboots,
    )


def load_state(store: State) -> AgentState:
    raw = store.read()
    if raw is None:
        return AgentState()
    try:
        return parse_state(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        log.warning("state unreadable, starting afresh where=%s reason=%s", store.where, exc)
        return AgentState()


def save_state(store: State, state: AgentState) -> None:
    store.write(state.to_json())
