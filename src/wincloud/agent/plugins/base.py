"""What a plugin is, what it is given, and what it answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

from msgspec import Struct, field

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.errors import PluginFailed
from wincloud.secret import Secret

if TYPE_CHECKING:
    from wincloud.agent.config import AgentConfig
    from wincloud.platform import Platform


class Stage(StrEnum):
    PRE_NETWORKING = "pre-networking"
    """Before the network is up: no metadata yet."""
    PRE_METADATA_DISCOVERY = "pre-metadata-discovery"
    """Network up, metadata not yet found (e.g. fix the MTU so HTTP sources work)."""
    MAIN = "main"
    """With the instance's metadata."""


class Frequency(StrEnum):
    PER_INSTANCE = "per-instance"
    """Once per instance id: a cloned image (new id) runs it again."""
    PER_BOOT = "per-boot"
    ONCE = "once"
    """Once in the life of this disk, whatever the instance."""


class Outcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    """Nothing to do (the data is absent): counts as done."""
    RETRY_NEXT_BOOT = "retry"
    """Not done: run again on the next boot."""
    REBOOT = "reboot"
    """Done, but reboot before the next plugin runs."""
    REBOOT_AND_RETRY = "reboot-retry"
    """Reboot, then run this plugin again."""

    @property
    def is_done(self) -> bool:
        return self in (Outcome.DONE, Outcome.SKIPPED, Outcome.REBOOT)

    @property
    def needs_reboot(self) -> bool:
        return self in (Outcome.REBOOT, Outcome.REBOOT_AND_RETRY)


class Handoff(Struct):
    """Typed values one plugin leaves for the ones after it, within one run."""

    admin_password: Secret | None = None
    """The administrator's password when the password plugin set it during this run (the
    winrm plugin needs it to map client certificates)."""


class RunContext(Struct):
    platform: Platform
    config: AgentConfig
    stage: Stage
    found: InstanceMetadata | None = None
    password_sink: PasswordSink | None = None
    report_sink: ReportSink | None = None
    """Where outcomes are reported back (the licensing plugin's activation status); None when
    the source offers none."""
    handoff: Handoff = field(default_factory=Handoff)
    memo: dict[str, str] = field(default_factory=dict)
    """This plugin's notes for this instance, kept in the state across boots (e.g. which
    user-data scripts already ran)."""
    register_secret: Callable[[str], None] = lambda value: None
    """Tell the log redactor about a secret value (a generated password)."""
    persist: Callable[[], None] = lambda: None
    """Save the state (``memo`` included) now, before a step that cannot be taken back."""
    sleep: Callable[[float], None] = time.sleep
    """Pauses between bounded retries (tests pass a recorder)."""

    @property
    def metadata(self) -> InstanceMetadata:
        if self.found is None:
            raise PluginFailed(
                f"no metadata in stage {self.stage}", hint="run this plugin in the main stage"
            )
        return self.found


class Plugin(Protocol):
    name: ClassVar[str]
    stage: ClassVar[Stage]
    frequency: ClassVar[Frequency]

    def run(self, ctx: RunContext) -> Outcome:
        """Apply one step; raise for failure (the others still run); SKIPPED when the data
        it needs is absent."""
        ...
