"""What a metadata source is, and what it may use (passed in, never looked up)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar, Final, Protocol

from msgspec import Struct

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.tree import DriveReader
from wincloud.errors import InvalidMetadata

if TYPE_CHECKING:
    import httpx

    from wincloud.agent.config import AgentConfig
    from wincloud.platform import Platform


class Source(Protocol):
    name: ClassVar[str]
    """Registry key: the value users write in the config's ``sources`` list."""

    @property
    def where(self) -> str:
        """URL or device this source reads (for log lines and errors)."""
        ...

    def probe(self) -> bool:
        """Cheap and bounded (one request or one stat): False when the source is definitely
        not here; SourceUnavailable when it cannot tell now (worth retrying)."""
        ...

    def load(self) -> InstanceMetadata:
        """Read and parse everything: SourceUnavailable (retried) or InvalidMetadata (not)."""
        ...

    def password_sink(self) -> PasswordSink | None: ...

    def report_sink(self) -> ReportSink | None:
        """Where plugins report outcomes back (activation status); None when not offered."""
        ...


class SourceDeps(Struct, frozen=True):
    config: AgentConfig
    platform: Platform
    http: Callable[[], httpx.Client]
    """Built on first use and shared; each request sets its own timeout."""
    read_drive: DriveReader | None = None
    """Reads a drive image or device into ``{path: bytes}`` (default: wincloud.configdrive)."""
    register_secret: Callable[[str], None] = lambda value: None
    """Tells the log redactor about a value that must never be printed (an IMDSv2 token)."""


MAX_INSTANCE_ID: Final = 255


def checked_instance_id(value: str, *, where: str) -> str:
    """``value`` when it is one short line; InvalidMetadata otherwise. The instance id goes
    into log lines and the state file: a line break in it would forge a log line."""
    if any(ch in value for ch in "\r\n\0\x85\u2028\u2029") or len(value) > MAX_INSTANCE_ID:
        raise InvalidMetadata("instance-id is not one short line", subject=where)
    return value


MAX_PUBLIC_KEYS: Final = 100
"""Public keys one source may give: a file of millions of short lines would otherwise become
a dict of millions of entries (about 50 times the file's size in memory)."""
_LINE: Final = re.compile(r"[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
"""What ``str.splitlines`` keeps, found one at a time instead of as one list."""


def key_lines(text: str, *, where: str, seen: int = 0) -> Iterator[str]:
    """The non-blank lines of ``text`` (a key per line), stripped; InvalidMetadata as soon as
    ``seen`` plus those found pass ``MAX_PUBLIC_KEYS``, before any more is kept."""
    count = seen
    for match in _LINE.finditer(text):
        line = match.group().strip()
        if not line:
            continue
        count += 1
        if count > MAX_PUBLIC_KEYS:
            raise too_many_keys(where)
        yield line


def too_many_keys(where: str) -> InvalidMetadata:
    return InvalidMetadata(
        f"more than {MAX_PUBLIC_KEYS} public keys",
        subject=where,
        hint="give the instance fewer keys (one per line)",
    )
