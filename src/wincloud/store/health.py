"""A health check that answers within a time limit even when the database hangs.

A connect timeout bounds an unreachable server, but a server that accepts connections and
then never answers (stopped, frozen, a network path that drops replies) would hold a
``SELECT 1`` for as long as the operating system keeps the connection. ``BoundedProbe`` runs the
check on a helper thread and waits at most ``limit`` seconds; while one check is still stuck,
later calls report that at once instead of piling up threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class BoundedProbe:
    def __init__(self, check: Callable[[], str | None], *, name: str) -> None:
        self._check = check
        self._name = name
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._since = 0.0

    def __call__(self, limit: float) -> str | None:
        result: list[str | None] = []
        with self._lock:
            stuck = self._running
            if stuck is not None and stuck.is_alive():
                waited = time.monotonic() - self._since
                return f"the database has not answered a health check for {waited:.0f} s"

            def run() -> None:
                try:
                    result.append(self._check())
                except Exception as exc:  # reported, not raised, by a health check
                    result.append(f"health check failed ({type(exc).__name__})")

            thread = threading.Thread(target=run, name=self._name, daemon=True)
            self._running, self._since = thread, time.monotonic()
            thread.start()
        thread.join(limit)
        if thread.is_alive():
            return f"the database did not answer within {limit:g} s"
        return result[0] if result else "health check failed"
