"""The build's progress on the terminal: one line per stage and a live status line (plain
text; nothing at all when the stream is not a terminal, where the log says what happened)."""

from __future__ import annotations

from typing import Protocol, TextIO


class Progress(Protocol):
    def stage(self, name: str, *, elapsed: float, limit: float) -> None: ...
    def tick(self, *, stage: str, elapsed: float, in_stage: float, limit: float) -> None: ...
    def finish(self, text: str, *, elapsed: float) -> None: ...


class NullProgress:
    def stage(self, name: str, *, elapsed: float, limit: float) -> None:
        pass

    def tick(self, *, stage: str, elapsed: float, in_stage: float, limit: float) -> None:
        pass

    def finish(self, text: str, *, elapsed: float) -> None:
        pass


def clock_text(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600:d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class LineProgress:
    """``[0:12:03] stage specialize (limit 0:30:00)`` lines, and a status line rewritten in
    place at most once a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last_tick = -1
        self._status = False

    def _clear(self) -> None:
        if self._status:
            self.stream.write("\r\x1b[2K")
            self._status = False

    def stage(self, name: str, *, elapsed: float, limit: float) -> None:
        self._clear()
        self.stream.write(f"[{clock_text(elapsed)}] stage {name} (limit {clock_text(limit)})\n")
        self.stream.flush()

    def tick(self, *, stage: str, elapsed: float, in_stage: float, limit: float) -> None:
        if int(elapsed) == self._last_tick:
            return
        self._last_tick = int(elapsed)
        left = clock_text(limit - in_stage)
        self.stream.write(f"\r\x1b[2K  {stage}: {clock_text(in_stage)} in stage, {left} left")
        self.stream.flush()
        self._status = True

    def finish(self, text: str, *, elapsed: float) -> None:
        self._clear()
        self.stream.write(f"[{clock_text(elapsed)}] {text}\n")
        self.stream.flush()


def progress_for(stream: TextIO) -> Progress:
    """LineProgress on a terminal, NullProgress otherwise."""
    isatty = getattr(stream, "isatty", None)
    return LineProgress(stream) if callable(isatty) and isatty() else NullProgress()
