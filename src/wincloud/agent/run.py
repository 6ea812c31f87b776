"""The run loop: stages, plugin order, per-instance state, reboots, exit status.

One run:
1. the ``pre-networking`` plugins, then the ``pre-metadata-discovery`` plugins (no metadata);
2. the metadata is found (``discovery.py``); a new instance id forgets per-instance progress;
3. the ``main`` plugins, in the configured order, skipping those already done for this
   instance. The state is saved after every plugin, so a crash loses nothing. A plugin done
   for this instance runs again when its ``offers_again(metadata)`` says the source holds
   new data it gives only once (CloudStack's password server after a password reset).

A plugin that fails is logged and recorded; the others still run; it runs again next boot.
A plugin that asks for a reboot stops the run: the state is saved, the platform is asked to
reboot (unless ``allow_reboot = false``), and the agent exits with ``EXIT_REBOOT``; the next
run resumes after it. At most ``max_reboots`` reboots are asked for per instance.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import IntEnum
from typing import TYPE_CHECKING

from msgspec import Struct, field

from wincloud import __version__
from wincloud.agent import http as agent_http
from wincloud.agent.discovery import discover
from wincloud.agent.instance_data import write_instance_data
from wincloud.agent.plugins import REGISTRY as PLUGINS
from wincloud.agent.plugins import (
    Frequency,
    Outcome,
    Plugin,
    RunContext,
    Stage,
    create_plugin,
)
from wincloud.agent.sources import REGISTRY as SOURCES
from wincloud.agent.sources import SourceDeps, create_source
from wincloud.agent.state import (
    AgentState,
    PluginRecord,
    PluginRun,
    RunRecord,
    load_state,
    save_state,
)
from wincloud.errors import MetadataNotFound, PlatformError, WincloudError

if TYPE_CHECKING:
    import httpx

    from wincloud.agent.config import AgentConfig
    from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
    from wincloud.agent.tree import DriveReader
    from wincloud.platform import Platform

log = logging.getLogger(__name__)


class ExitStatus(IntEnum):
    OK = 0
    """Every plugin is done (or skipped)."""
    PLUGIN_FAILED = 1
    """At least one plugin failed; it runs again next boot."""
    CONFIG_ERROR = 2
    NO_METADATA = 3
    """No source answered; nothing was applied."""
    REBOOT = 10
    """A plugin asked for a reboot: the run stopped and resumes on the next boot."""


EARLY_STAGES = (Stage.PRE_NETWORKING, Stage.PRE_METADATA_DISCOVERY)
RUN_STATUS = {
    ExitStatus.OK: "done",
    ExitStatus.PLUGIN_FAILED: "error",
    ExitStatus.CONFIG_ERROR: "error",
    ExitStatus.NO_METADATA: "no-metadata",
    ExitStatus.REBOOT: "reboot",
}
"""The run's exit status as ``wincloud agent status`` words it."""


class RunReport(Struct):
    """What one run did: its exit status, the source and instance, each plugin's outcome."""

    status: ExitStatus = ExitStatus.OK
    source: str | None = None
    instance_id: str | None = None
    is_new_instance: bool = False
    outcomes: dict[str, str] = field(default_factory=dict)
    """plugin -> its outcome this run, ``already-done`` or ``failed``."""
    failed: list[str] = field(default_factory=list)
    reboot_reason: str | None = None


class Agent(Struct):
    """One agent run over ``config`` and ``platform``; the other fields are for tests."""

    config: AgentConfig
    platform: Platform
    http: Callable[[], httpx.Client] | None = None
    sources: Mapping[str, str] = field(default_factory=lambda: SOURCES)
    plugins: Mapping[str, str] = field(default_factory=lambda: PLUGINS)
    read_drive: DriveReader | None = None
    register_secret: Callable[[str], None] = lambda value: None
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    only: str | None = None
    """Run this one plugin (``run --plugin``), even when it is done for this instance."""
    _client: httpx.Client | None = None
    """The client this run made (closed when it ends); not for callers to give."""

    def _http(self) -> httpx.Client:
        if self.http is not None:
            return self.http()
        if self._client is None:
            self._client = agent_http.create_client()
        return self._client

    def run(self) -> RunReport:
        started = time.monotonic()
        names = [self.only] if self.only else self.config.plugins
        plugins = [create_plugin(name, registry=self.plugins) for name in names]
        state = load_state(self.platform.state)
        report = RunReport()
        log.info(
            "agent start version=%s platform=%s state=%s",
            __version__,
            self.platform.name,
            self.platform.state.where,
        )
        state.last_run = RunRecord(started=self._stamp(), pid=os.getpid())
        save_state(self.platform.state, state)
        try:
            self._run(plugins, state, report)
        except BaseException:
            self._finish(state, report, crashed=True)
            raise
        finally:
            if self._client is not None:
                self._client.close()
                self._client = None
        self._finish(state, report, crashed=False)
        log.info(
            "agent finished status=%s duration_ms=%d failed=%s",
            report.status.name.lower(),
            int((time.monotonic() - started) * 1000),
            ",".join(report.failed) or "none",
        )
        return report

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="seconds")

    def _finish(self, state: AgentState, report: RunReport, *, crashed: bool) -> None:
        record = state.last_run
        if record is None:  # pragma: no cover - set at the start of every run
            return
        record.status = "error" if crashed else RUN_STATUS[report.status]
        record.exit_status = 70 if crashed else int(report.status)
        record.finished = self._stamp()
        record.source, record.instance_id = report.source, report.instance_id
        try:
            save_state(self.platform.state, state)
        except PlatformError as exc:
            if not crashed:
                raise
            log.error("state not saved after a crash error=%s", exc)

    def _context(
        self,
        stage: Stage,
        found: InstanceMetadata | None = None,
        password_sink: PasswordSink | None = None,
        report_sink: ReportSink | None = None,
    ) -> RunContext:
        return RunContext(
            self.platform,
            self.config,
            stage,
            found=found,
            password_sink=password_sink,
            report_sink=report_sink,
            register_secret=self.register_secret,
            sleep=self.sleep,
        )

    def _run(self, plugins: list[Plugin], state: AgentState, report: RunReport) -> None:
        for stage in EARLY_STAGES:
            if self._run_stage(stage, plugins, self._context(stage), state, report):
                return
        deps = SourceDeps(
            config=self.config,
            platform=self.platform,
            http=self._http,
            read_drive=self.read_drive,
            register_secret=self.register_secret,
        )
        try:
            found = discover(
                self.config.sources,
                lambda name: create_source(name, deps, registry=self.sources),
                self.config.retry.to_backoff(),
                sleep=self.sleep,
            )
        except MetadataNotFound as exc:
            log.error("no metadata error=%s attempts=%d", exc, len(exc.attempts))
            report.status = ExitStatus.NO_METADATA
            return
        metadata = found.metadata
        if metadata.admin_pass is not None:
            self.register_secret(metadata.admin_pass.reveal())
        report.source, report.instance_id = found.source.name, metadata.instance_id
        write_instance_data(self.platform, metadata)
        previous = state.instance_id
        if state.switch_instance(metadata.instance_id):
            report.is_new_instance = True
            log.info("new instance id=%s previous=%s", metadata.instance_id, previous)
            save_state(self.platform.state, state)
        source = found.source
        ctx = self._context(Stage.MAIN, metadata, source.password_sink(), source.report_sink())
        if self._run_stage(Stage.MAIN, plugins, ctx, state, report):
            return
        report.status = ExitStatus.PLUGIN_FAILED if report.failed else ExitStatus.OK

    def _is_done(self, plugin: Plugin, state: AgentState) -> bool:
        if plugin.frequency is Frequency.PER_INSTANCE:
            return plugin.name in state.plugins
        if plugin.frequency is Frequency.ONCE:
            return plugin.name in state.once
        return False

    def _run_stage(
        self,
        stage: Stage,
        plugins: list[Plugin],
        ctx: RunContext,
        state: AgentState,
        report: RunReport,
    ) -> bool:
        """Run the stage's plugins; True when the run must stop for a reboot."""
        for plugin in (p for p in plugins if p.stage is stage):
            name = plugin.name
            if self.only is None and self._is_done(plugin, state):
                if _offers_again(plugin, ctx):
                    log.info("plugin runs again: its source offers new data name=%s", name)
                else:
                    log.info("plugin already done name=%s", name)
                    report.outcomes[name] = "already-done"
                    self._note(state, name, stage, "already-done")
                    continue
            per_instance = plugin.frequency is Frequency.PER_INSTANCE
            ctx.memo = state.memos.setdefault(name, {}) if per_instance else {}
            ctx.persist = lambda: save_state(self.platform.state, state)
            start = time.monotonic()
            try:
                outcome = plugin.run(ctx)
            except Exception as exc:  # the stage runner: record it, the others still run
                self._failed(name, exc, report)
                self._note(state, name, stage, "failed", _error_text(exc))
                save_state(self.platform.state, state)
                continue
            log.info(
                "plugin finished name=%s stage=%s outcome=%s duration_ms=%d",
                name,
                stage,
                outcome,
                int((time.monotonic() - start) * 1000),
            )
            report.outcomes[name] = str(outcome)
            self._note(state, name, stage, str(outcome))
            self._record(plugin, outcome, state)
            save_state(self.platform.state, state)
            if outcome.needs_reboot and self._reboot(name, state, report):
                return True
        return False

    @staticmethod
    def _note(state: AgentState, name: str, stage: Stage, outcome: str, error: str = "") -> None:
        if state.last_run is not None:
            state.last_run.plugins[name] = PluginRun(str(stage), outcome, error)

    def _failed(self, name: str, exc: Exception, report: RunReport) -> None:
        report.failed.append(name)
        report.outcomes[name] = "failed"
        if isinstance(exc, WincloudError):
            hint = f" hint={exc.hint}" if exc.hint else ""
            log.error("plugin failed name=%s code=%s error=%s%s", name, exc.code, exc, hint)
        else:
            log.error("plugin failed name=%s error=%r (a bug)", name, exc, exc_info=exc)

    def _record(self, plugin: Plugin, outcome: Outcome, state: AgentState) -> None:
        if not outcome.is_done:
            return
        at = self.now().isoformat(timespec="seconds")
        if plugin.frequency is Frequency.PER_INSTANCE:
            state.plugins[plugin.name] = PluginRecord(str(outcome), at)
        elif plugin.frequency is Frequency.ONCE:
            state.once[plugin.name] = at

    def _reboot(self, name: str, state: AgentState, report: RunReport) -> bool:
        """Ask for the reboot a plugin wants; False when the per-instance limit is reached."""
        if state.reboots >= self.config.max_reboots:
            log.error(
                "reboot not requested reason=limit-reached plugin=%s reboots=%d max=%d",
                name,
                state.reboots,
                self.config.max_reboots,
            )
            return False
        state.reboots += 1
        save_state(self.platform.state, state)
        reason = f"wincloud: plugin {name} needs a reboot"
        report.reboot_reason = reason
        report.status = ExitStatus.REBOOT
        if self.config.allow_reboot:
            try:
                self.platform.host.reboot(reason)
            except PlatformError as exc:
                log.error("reboot request failed error=%s", exc)
        else:
            log.warning("reboot required, left to the caller plugin=%s", name)
        return True


def _offers_again(plugin: Plugin, ctx: RunContext) -> bool:
    """Whether a plugin already done for this instance must run again: it may define
    ``offers_again(metadata)`` for data a source hands out once, until acknowledged."""
    hook: Callable[[InstanceMetadata], bool] | None = getattr(plugin, "offers_again", None)
    return ctx.found is not None and hook is not None and hook(ctx.found)


def _error_text(exc: Exception) -> str:
    """One line for the run record: ``code: message`` (errors never carry secrets)."""
    if isinstance(exc, WincloudError):
        return " ".join(f"{exc.code}: {exc}".split())[:300]
    return f"bug: {exc.__class__.__name__}"
