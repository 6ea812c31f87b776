"""A stateful fake of the registry binding (values by key and name)."""

from __future__ import annotations


class FakeRegistry:
    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def read_text(self, key: str, name: str) -> str | None:
        return self.values.get((key.lower(), name.lower()))

    def write_text(self, key: str, name: str, value: str) -> None:
        self.values[(key.lower(), name.lower())] = value
