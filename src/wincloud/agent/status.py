"""``wincloud agent status``: what the last run did, read from the state (never a guess from
the log), and waiting for a run to end; ``wincloud agent clean``: forget so the next boot
configures the machine again."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from msgspec import Struct

from wincloud.agent.instance_data import instance_data_path
from wincloud.agent.state import AgentState, load_state, save_state

if TYPE_CHECKING:
    from wincloud.platform import Platform

log = logging.getLogger(__name__)

EXIT_STATUS: Final = {
    "not-run": 0,
    "running": 0,
    "done": 0,
    "error": 1,
    "crashed": 1,
    "no-metadata": 3,
    "reboot": 10,
}
"""``status`` exits with the run's own exit status (docs/agent.md), 1 for a run that died."""
SCRIPTS_DIRS: Final = {"posix": "/var/lib/wincloud/scripts", "windows": ""}


class Status(Struct, frozen=True):
    status: str
    """not-run, running, done, error, crashed (a run that died), no-metadata or reboot."""
    state: AgentState

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.status]

    def to_doc(self) -> dict[str, Any]:
        run = self.state.last_run
        doc: dict[str, Any] = {"status": self.status, "instance_id": self.state.instance_id}
        doc["last_run"] = run.to_doc() if run is not None else None
        doc["errors"] = self.errors()
        return doc

    def errors(self) -> dict[str, str]:
        run = self.state.last_run
        if run is None:
            return {}
        return {name: p.error for name, p in run.plugins.items() if p.outcome == "failed"}

    def lines(self) -> list[str]:
        run = self.state.last_run
        out = [f"status: {self.status}"]
        if run is None:
            return out
        out.append(f"instance_id: {run.instance_id or self.state.instance_id or 'unknown'}")
        out.append(f"source: {run.source or 'none'}")
        out.append(
            f"started: {run.started}" + (f" finished: {run.finished}" if run.finished else "")
        )
        stage = None
        for name, plugin in run.plugins.items():
            if plugin.stage != stage:
                stage = plugin.stage
                out.append(f"stage {stage}:")
            line = f"  {name}: {plugin.outcome}"
            out.append(line + (f" ({plugin.error})" if plugin.error else ""))
        return out


def is_alive(pid: int) -> bool:
    """Whether a process of that id runs (POSIX); on Windows, assumed (no cheap check)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - os.kill would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_status(platform: Platform, *, alive: Callable[[int], bool] = is_alive) -> Status:
    state = load_state(platform.state)
    run = state.last_run
    if run is None:
        return Status("not-run", state)
    if run.status == "running" and not alive(run.pid):
        return Status("crashed", state)
    return Status(run.status, state)


def wait_status(
    platform: Platform,
    *,
    timeout: float,
    interval: float = 1.0,
    alive: Callable[[int], bool] = is_alive,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Status | None:
    """Poll until a run has ended (not not-run, not running); None after ``timeout``."""
    deadline = clock() + timeout
    while True:
        current = read_status(platform, alive=alive)
        if current.status not in ("not-run", "running"):
            return current
        if clock() >= deadline:
            return None
        sleep(min(interval, max(deadline - clock(), 0.0)))


def clean(platform: Platform) -> list[str]:
    """Forget everything the agent remembers (per-instance and once-ever progress, the last
    run, the instance data, the saved scripts): the next boot configures the machine as a new
    instance. What was cleared is returned (the state's location, then guest paths)."""
    save_state(platform.state, AgentState())
    removed = [platform.state.where]
    targets = [instance_data_path(platform)]
    scripts = SCRIPTS_DIRS.get(platform.family, "")
    if scripts:
        targets += [f"{scripts}/{name}" for name in platform.files.list_dir(scripts) or []]
    for path in targets:
        if not path.endswith("/") and platform.files.remove(path):
            removed.append(path)
    log.info("agent state cleaned removed=%d", len(removed))
    return removed
