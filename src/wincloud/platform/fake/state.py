"""FakeState: the agent's state document, in memory."""

from __future__ import annotations


class FakeState:
    where = "memory"

    def __init__(self, data: bytes | None = None) -> None:
        self.data = data
        self.writes = 0

    def read(self) -> bytes | None:
        return self.data

    def write(self, data: bytes) -> None:
        self.data = bytes(data)
        self.writes += 1
