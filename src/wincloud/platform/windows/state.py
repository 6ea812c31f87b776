"""WindowsState: the agent's state document as one REG_SZ value,
HKLM\\SOFTWARE\\wincloud\\agent\\state (replaced as a whole by each write)."""

from __future__ import annotations

from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.windows._win32.registry import Registry

STATE_KEY: Final = r"SOFTWARE\wincloud\agent"
STATE_VALUE: Final = "state"


class WindowsState:
    def __init__(self, registry: Registry, *, key: str = STATE_KEY) -> None:
        self.registry = registry
        self.key = key
        self.where = rf"HKLM\{key}\{STATE_VALUE}"

    def read(self) -> bytes | None:
        text = self.registry.read_text(self.key, STATE_VALUE)
        return None if text is None else text.encode("utf-8")

    def write(self, data: bytes) -> None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PlatformError(
                "state must be UTF-8 text", operation="write", subject=self.where
            ) from None
        self.registry.write_text(self.key, STATE_VALUE, text)
