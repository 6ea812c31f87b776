"""``wincloud agent``: run the guest agent on this machine (or on an alternate root)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wincloud.cli.agent_service import service

HELP_ROOT = "Work on this directory as if it were / (POSIX only): tests, image preparation."


def default_config_path(root: Path | None) -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData"))
        return base / "wincloud" / "agent.toml"
    return (root or Path("/")) / "etc/wincloud/agent.toml"


@click.group()
def agent() -> None:
    """The guest agent: find this instance's metadata and apply it."""


@agent.command("run")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Agent config file (TOML). Default: /etc/wincloud/agent.toml under the root, "
    r"or %ProgramData%\wincloud\agent.toml; the built-in defaults when it does not exist.",
)
@click.option(
    "--root", type=click.Path(path_type=Path, file_okay=False, exists=True), help=HELP_ROOT
)
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, root: Path | None) -> None:
    """Run every stage once; exit 0 (done), 1 (a plugin failed), 3 (no metadata) or
    10 (reboot required, the next run resumes). See docs/agent.md."""
    from wincloud.agent.config import load_config
    from wincloud.agent.logsetup import Redactor, setup_logging
    from wincloud.agent.run import Agent
    from wincloud.platform import current

    if config_path is None and default_config_path(root).is_file():
        config_path = default_config_path(root)
    config = load_config(config_path)
    redactor = Redactor()
    logs = setup_logging(config.log, redactor, root=root)
    try:
        platform = current(root.resolve() if root else None)
        report = Agent(config, platform, register_secret=redactor.add).run()
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
@click.option(
    "--root", type=click.Path(path_type=Path, file_okay=False, exists=True), help=HELP_ROOT
)
def state(root: Path | None) -> None:
    """Show what the agent remembers: the instance id and the plugins done for it."""
    from wincloud.agent.state import load_state
    from wincloud.platform import current

    store = current(root.resolve() if root else None).state
    click.echo(f"# {store.where}")
    click.echo(load_state(store).to_json().decode(), nl=False)


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
