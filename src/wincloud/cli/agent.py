"""``wincloud agent``: run the guest agent on this machine (or on an alternate root)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from wincloud.cli.agent_service import service

if TYPE_CHECKING:
    from wincloud.agent.config import AgentConfig
    from wincloud.platform import Platform

HELP_ROOT = "Work on this directory as if it were / (POSIX only): tests, image preparation."
ROOT_OPTION = click.option(
    "--root", type=click.Path(path_type=Path, file_okay=False, exists=True), help=HELP_ROOT
)
CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Agent config file (TOML). Default: /etc/wincloud/agent.toml under the root, "
    r"or %ProgramData%\wincloud\agent.toml; the built-in defaults when it does not exist.",
)


def default_config_path(root: Path | None) -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"))
        return base / "wincloud" / "agent.toml"
    return (root or Path("/")) / "etc/wincloud/agent.toml"


@click.group()
def agent() -> None:
    """The guest agent: find this instance's metadata and apply it."""


@agent.command("run")
@CONFIG_OPTION
@ROOT_OPTION
@click.option(
    "--plugin",
    "only",
    metavar="NAME",
    help="Run this plugin alone (after finding the metadata), even if it is done already.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Find the metadata and print what would run; change nothing, run nothing.",
)
@click.pass_context
def run(
    ctx: click.Context,
    config_path: Path | None,
    root: Path | None,
    only: str | None,
    dry_run: bool,
) -> None:
    """Run every stage once; exit 0 (done), 1 (a plugin failed), 3 (no metadata) or
    10 (reboot required, the next run resumes). See docs/agent.md."""
    from wincloud.agent.logsetup import Redactor, setup_logging
    from wincloud.agent.plugins import REGISTRY
    from wincloud.agent.run import Agent
    from wincloud.errors import ConfigError

    config = _config(config_path, root)
    if only is not None and only not in REGISTRY:
        raise ConfigError(
            f"unknown plugin {only!r}",
            subject="--plugin",
            hint="valid names: " + ", ".join(sorted(REGISTRY)),
        )
    if dry_run:
        from wincloud.agent.plan import dry_run as plan

        for line in plan(Agent(config, _platform(root), only=only)):
            click.echo(line)
        return
    redactor = Redactor()
    logs = setup_logging(config.log, redactor, root=root)
    try:
        platform = _platform(root)
        report = Agent(config, platform, register_secret=redactor.add, only=only).run()
    finally:
        logs.close()
    source = report.source or "none"
    click.echo(
        f"status={report.status.name.lower()} source={source} "
        f"instance_id={report.instance_id or 'unknown'}"
    )
    for name, outcome in report.outcomes.items():
        click.echo(f"  {name}: {outcome}")
    ctx.exit(int(report.status))


@agent.command("state")
@ROOT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Plain JSON (no comment line).")
def state(root: Path | None, as_json: bool) -> None:
    """Show what the agent remembers: the instance id and the plugins done for it."""
    from wincloud.agent.state import load_state

    store = _platform(root).state
    if not as_json:
        click.echo(f"# {store.where}")
    click.echo(load_state(store).to_json().decode(), nl=False)


def _platform(root: Path | None) -> Platform:
    from wincloud.platform import current

    return current(root.resolve() if root else None)


def _config(config_path: Path | None, root: Path | None) -> AgentConfig:
    from wincloud.agent.config import load_config

    if config_path is None and default_config_path(root).is_file():
        config_path = default_config_path(root)
    return load_config(config_path)


def _log_file(config: AgentConfig, root: Path | None) -> Path:
    from wincloud.agent.logsetup import default_log_file

    return Path(config.log.file) if config.log.file else default_log_file(root)


@agent.command("status")
@ROOT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--wait", is_flag=True, help="Block until a run has ended (for boot scripts).")
@click.option(
    "--timeout",
    type=click.FloatRange(0, 86400),
    default=3600.0,
    show_default=True,
    help="With --wait: give up after this many seconds (exit 1).",
)
@click.pass_context
def status(
    ctx: click.Context, root: Path | None, as_json: bool, wait: bool, timeout: float
) -> None:
    """The last run: not-run, running, done, error, crashed, no-metadata or reboot, each
    plugin's outcome by stage and the errors. Exits like the run did: 0 (done, or not run or
    running), 1 (error, crashed), 3 (no metadata), 10 (reboot pending)."""
    import json

    from wincloud.agent.status import read_status, wait_status

    platform = _platform(root)
    found = wait_status(platform, timeout=timeout) if wait else read_status(platform)
    if found is None:
        click.echo(f"error: no run ended within {timeout:g} s", err=True)
        ctx.exit(1)
        return
    if as_json:
        click.echo(json.dumps(found.to_doc(), indent=2))
    else:
        for line in found.lines():
            click.echo(line)
    ctx.exit(found.exit_status)


@agent.command("query")
@click.argument("key", required=False)
@ROOT_OPTION
@click.option("--all", "show_all", is_flag=True, help="Show user data and vendor data too.")
def query(key: str | None, root: Path | None, show_all: bool) -> None:
    """The instance data the last run read, or one KEY of it (dotted: meta.role,
    network_data.links.0.id). Passwords are never kept; user data and vendor data are shown
    with --all only."""
    import json

    from wincloud.agent.instance_data import lookup, read_instance_data, redact
    from wincloud.errors import ConfigError

    doc = read_instance_data(_platform(root))
    if doc is None:
        raise ConfigError(
            "no instance data: the agent has not found any metadata yet",
            hint="wincloud agent run (or wincloud agent status to see why it found none)",
        )
    if not show_all:
        doc = redact(doc)
    value = lookup(doc, key) if key else doc
    if isinstance(value, str | int | float | bool) or value is None:
        click.echo("null" if value is None else str(value))
    else:
        click.echo(json.dumps(value, indent=2, sort_keys=True))


@agent.command("clean")
@ROOT_OPTION
@CONFIG_OPTION
@click.option("--logs", is_flag=True, help="Remove the agent's log file too.")
@click.option("--reboot", is_flag=True, help="Reboot afterwards (the next boot runs afresh).")
def clean(root: Path | None, config_path: Path | None, logs: bool, reboot: bool) -> None:
    """Forget everything the agent remembers (state, last run, instance data, saved
    scripts), so the next boot configures this machine as a new instance: for image
    builders, before capturing an image."""
    from wincloud.agent.status import clean as clean_state

    platform = _platform(root)
    for item in clean_state(platform):
        click.echo(f"removed {item}")
    if logs:
        path = _log_file(_config(config_path, root), root)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            click.echo(f"removed {path}")
    if reboot:
        platform.host.reboot("wincloud agent clean --reboot")


@agent.command("schema")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--windows", is_flag=True, help="Check for a Windows guest (names, paths, passwords)."
)
def schema(file: Path, windows: bool) -> None:
    """Check a user-data file (gzip, MIME, scripts, cloud-config) as the agent would, and
    say what would run, without running anything. Exits 4 (invalid-metadata) on a problem."""
    from wincloud.agent.config import AgentConfig
    from wincloud.agent.plan import describe_userdata

    data = file.read_bytes()
    family: Literal["posix", "windows"] = "windows" if windows else "posix"
    for line in describe_userdata(data, family=family, config=AgentConfig()):
        click.echo(line)


@agent.command("collect-logs")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The .tar.gz to write (mode 0600).",
)
@ROOT_OPTION
@CONFIG_OPTION
def collect_logs(out: Path, root: Path | None, config_path: Path | None) -> None:
    """One bundle for a bug report: the log file, the state, the config file, the last
    run's status and the instance data with user data and vendor data redacted."""
    from wincloud.agent.collect import collect

    config = _config(config_path, root)
    if config_path is None and default_config_path(root).is_file():
        config_path = default_config_path(root)
    names = collect(_platform(root), out, log_file=_log_file(config, root), config_file=config_path)
    click.echo(f"wrote {out} ({', '.join(names)})")


@agent.group("config")
def config() -> None:
    """The agent's config file."""


@config.command("import-cloudbase-init")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the TOML to this file (atomically) instead of standard output.",
)
def import_cloudbase_init(file: Path, out: Path | None) -> None:
    """Convert a cloudbase-init.conf into the agent's TOML config. Options without a wincloud
    equivalent are listed on standard error (and as comments in the TOML): `warning:` for
    what wincloud will not do, `note:` for what it does differently or needs no option for.
    See docs/agent-config.md."""
    from wincloud.agent.config_import import import_cloudbase_conf
    from wincloud.agent.tomlwrite import write_atomic

    conversion = import_cloudbase_conf(file)
    text = conversion.to_toml(str(file))
    for note in conversion.notes:
        click.echo(note.render(), err=True)
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text)
    click.echo(f"wrote {out} ({len(conversion.warnings)} warnings)", err=True)


agent.add_command(service)
