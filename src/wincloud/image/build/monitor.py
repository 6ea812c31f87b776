"""Follow the guest's stage markers on the serial port and judge the build (pure: the caller
passes each line, each power-off and the time).

Protocol (COM1, one ASCII line each): ``WINCLOUD-STAGE <stage>`` for windowspe, specialize,
firstlogon, drivers, agent, sysprep, and ``WINCLOUD-ERROR <text>``. The ``boot`` timeout runs
from start to the first marker; each stage's timeout from its marker to the next one (or, for
sysprep, to power-off). Success is power-off after the sysprep marker; an error marker, a stage
timeout or a power-off before sysprep is a failure.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from wincloud.image.build.plan import STAGES

log = logging.getLogger(__name__)

ANSI: Final = re.compile(r"\x1b(?:\[[0-9;?=]*[ -/]*[@-~]|[@-Z\\-_])")
"""Terminal control sequences (the firmware's console draws with them)."""
MARKER: Final = re.compile(r"WINCLOUD-(STAGE|ERROR)\b[ \t]*([\x20-\x7e]*)")
KEPT_LINES: Final = 40
MAX_LINE: Final = 4096


@dataclass(frozen=True)
class Verdict:
    ok: bool
    stage: str
    """The stage the guest was in (``boot`` before the first marker)."""
    reason: Literal["powered-off", "error-marker", "timeout", "early-power-off", "qemu-failed"]
    detail: str

    def describe(self) -> str:
        if self.ok:
            return "the guest powered off after sysprep"
        if self.reason == "error-marker":
            return f"the guest reported an error in stage {self.stage}: {self.detail}"
        if self.reason == "timeout":
            return f"stage {self.stage} timed out ({self.detail})"
        if self.reason == "early-power-off":
            return f"the guest powered off in stage {self.stage}, before sysprep"
        return f"QEMU failed in stage {self.stage}: {self.detail}"


class StageMonitor:
    """The state of one build: current stage, when it began, the last serial lines."""

    def __init__(self, timeouts: Mapping[str, float], *, now: float) -> None:
        missing = [s for s in ("boot", *STAGES) if s not in timeouts]
        if missing:
            raise ValueError(f"no timeout for {', '.join(missing)}")
        self.timeouts = dict(timeouts)
        self.stage = "boot"
        self.started = now
        self.entered = now
        self.verdict: Verdict | None = None
        self.history: list[tuple[str, float]] = [("boot", now)]
        self.last_lines: deque[str] = deque(maxlen=KEPT_LINES)
        self._partial = ""

    @property
    def seen_marker(self) -> bool:
        return self.stage != "boot"

    def feed(self, data: str, *, now: float) -> list[str]:
        """Take serial output (any chunking); returns the stages entered by it."""
        entered: list[str] = []
        text = self._partial + data
        lines = text.split("\n")
        self._partial = lines.pop()[-MAX_LINE:]
        for raw in lines:
            stage = self.line(raw, now=now)
            if stage is not None:
                entered.append(stage)
        return entered

    def line(self, raw: str, *, now: float) -> str | None:
        """One serial line; returns the stage it entered, if any."""
        line = ANSI.sub("", raw[:MAX_LINE]).replace("\r", "").rstrip()
        if line:
            self.last_lines.append(line)
        if self.verdict is not None:
            return None
        match = MARKER.search(line)
        if match is None:
            return None
        kind, rest = match.group(1), match.group(2).strip()
        if kind == "ERROR":
            self.verdict = Verdict(False, self.stage, "error-marker", rest or "(no text)")
            return None
        name = rest.split(" ", 1)[0].lower() if rest else ""
        if name not in STAGES:
            log.warning("unknown stage marker ignored line=%r", line)
            return None
        if self.stage != "boot" and STAGES.index(name) <= STAGES.index(self.stage):
            log.info("stage marker repeated or out of order stage=%s current=%s", name, self.stage)
            return None
        self.stage = name
        self.entered = now
        self.history.append((name, now))
        return name

    def deadline(self) -> float:
        return self.entered + self.timeouts[self.stage]

    def check(self, *, now: float) -> Verdict | None:
        """The verdict so far: set once an error marker arrived or the stage timed out."""
        if self.verdict is None and now >= self.deadline():
            limit = self.timeouts[self.stage]
            self.verdict = Verdict(False, self.stage, "timeout", f"no progress for {limit:g} s")
        return self.verdict

    def powered_off(self, *, now: float) -> Verdict:
        """The guest powered off (QMP SHUTDOWN or QEMU exited by itself)."""
        if self.verdict is None and self._partial:
            self.line(self._partial, now=now)
            self._partial = ""
        if self.verdict is None:
            if self.stage == "sysprep":
                self.verdict = Verdict(True, "sysprep", "powered-off", "")
            else:
                self.verdict = Verdict(False, self.stage, "early-power-off", "")
        return self.verdict

    def qemu_failed(self, detail: str) -> Verdict:
        if self.verdict is None:
            self.verdict = Verdict(False, self.stage, "qemu-failed", detail)
        return self.verdict
