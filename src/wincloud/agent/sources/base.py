"""What a metadata source is, and what it may use (passed in, never looked up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.tree import DriveReader

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


@dataclass(frozen=True)
class SourceDeps:
    config: AgentConfig
    platform: Platform
    http: Callable[[], httpx.Client]
    """Built on first use and shared; each request sets its own timeout."""
    read_drive: DriveReader | None = None
    """Reads a drive image or device into ``{path: bytes}`` (default: wincloud.configdrive)."""
    register_secret: Callable[[str], None] = lambda value: None
    """Tells the log redactor about a value that must never be printed (an IMDSv2 token)."""
