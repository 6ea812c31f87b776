"""The agent's memory between runs: a versioned JSON document kept by the platform's State
capability (a file on POSIX, the registry on Windows), written atomically after every plugin.

A document this version cannot read (corrupt, or from a newer agent) is ignored with a warning
and replaced at the next write: the agent then runs as on a first boot rather than not at all.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

from msgspec import Struct, field

from wincloud.platform import State

log = logging.getLogger(__name__)

STATE_VERSION: Final = 1


class PluginRecord(Struct):
    outcome: str
    at: str


RUN_STATUSES: Final = ("running", "done", "error", "reboot", "no-metadata")


class PluginRun(Struct):
    stage: str
    outcome: str
    """An Outcome value, ``already-done`` or ``failed``."""
    error: str = ""
    """``code: message`` of a failure (never a secret: errors carry none)."""


class RunRecord(Struct):
    """The last run, for ``wincloud agent status``: written when a run starts (``running``),
    after every plugin, and when it ends."""

    status: str = "running"
    started: str = ""
    finished: str = ""
    pid: int = 0
    exit_status: int | None = None
    source: str | None = None
    instance_id: str | None = None
    plugins: dict[str, PluginRun] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "pid": self.pid,
            "exit_status": self.exit_status,
            "source": self.source,
            "instance_id": self.instance_id,
            "plugins": {
                name: {"stage": r.stage, "outcome": r.outcome, "error": r.error}
                for name, r in self.plugins.items()
            },
        }

    @classmethod
    def from_doc(cls, doc: Any) -> RunRecord | None:
        """None when ``doc`` is not a run record (an older or damaged state)."""
        if not isinstance(doc, dict) or doc.get("status") not in RUN_STATUSES:
            return None
        plugins = doc.get("plugins")
        exit_status = doc.get("exit_status")
        pid = doc.get("pid", 0)
        if not isinstance(plugins, dict) or not all(isinstance(p, dict) for p in plugins.values()):
            return None
        if not isinstance(pid, int) or not (exit_status is None or isinstance(exit_status, int)):
            return None
        text = {k: doc.get(k) for k in ("started", "finished", "source", "instance_id")}
        if not all(v is None or isinstance(v, str) for v in text.values()):
            return None
        return cls(
            status=doc["status"],
            started=text["started"] or "",
            finished=text["finished"] or "",
            pid=pid,
            exit_status=exit_status,
            source=text["source"],
            instance_id=text["instance_id"],
            plugins={
                str(name): PluginRun(
                    str(p.get("stage", "")), str(p.get("outcome", "")), str(p.get("error", ""))
                )
                for name, p in plugins.items()
            },
        )


class AgentState(Struct):
    instance_id: str | None = None
    plugins: dict[str, PluginRecord] = field(default_factory=dict)
    """Per-instance plugins that are done, for ``instance_id``."""
    once: dict[str, str] = field(default_factory=dict)
    """Once-ever plugins: name -> when; survives a change of instance."""
    memos: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-plugin notes for ``instance_id``."""
    reboots: int = 0
    """Reboots the agent asked for, for ``instance_id``."""
    last_run: RunRecord | None = None
    """What the last (or the current) run did, whatever the instance."""

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
        if self.last_run is not None:
            doc["last_run"] = self.last_run.to_doc()
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
        last_run=RunRecord.from_doc(doc.get("last_run")),
    )


def load_state(store: State) -> AgentState:
    raw = store.read()
    if raw is None:
        return AgentState()
    try:
        return parse_state(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        log.warning("state unreadable, starting afresh where=%s reason=%s", store.where, exc)
        return AgentState()


def save_state(store: State, state: AgentState) -> None:
    store.write(state.to_json())
