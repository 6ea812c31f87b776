"""The ``wincloud`` command: a table of subcommands, each imported only when it runs."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

import click

from wincloud import __version__

log = logging.getLogger(__name__)

# name -> "module:attribute" of a click command or group; imported lazily.
COMMANDS: Final[Mapping[str, str]] = {
    "metadata": "wincloud.cli.metadata:metadata",
    "instance": "wincloud.cli.instance:instance",
    "configdrive": "wincloud.cli.configdrive:configdrive",
    "db": "wincloud.cli.db:db",
    "agent": "wincloud.cli.agent:agent",
    "password": "wincloud.cli.password:password",
    "vhd": "wincloud.cli.vhd:vhd",
    "hyperv": "wincloud.cli.hyperv:hyperv",
    "host": "wincloud.cli.host:host",
    "report": "wincloud.cli.report:report",
    "import": "wincloud.cli.imports:import_",
    "image": "wincloud.cli.image:image",
}

_HELP: Final[Mapping[str, str]] = {
    "metadata": "Run the Nova-compatible metadata service.",
    "instance": "Manage instance records in the store.",
    "configdrive": "Build and read config-2 drives.",
    "db": "Create, upgrade and inspect the instance store.",
    "agent": "Run the guest agent (apply this instance's metadata).",
    "password": "Decrypt passwords the agent generated.",
    "vhd": "Create, inspect, convert and check VHD/VHDX disks.",
    "hyperv": "Check and inspect Hyper-V hosts over PowerShell remoting.",
    "host": "Keep the compute-host inventory for licence reports.",
    "report": "Monthly Windows licence report from the store's records.",
    "import": "Import hosts and placements from a Nova cloud.",
    "image": "Build, customize, inspect and publish Windows cloud images.",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):  # pragma: no cover - a table error
            raise TypeError(f"{target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wincloud")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
def cli(verbose: int) -> None:
    """wincloud: Windows as a first-class citizen of OpenStack-style clouds."""
    from wincloud.cli.output import setup_logging

    setup_logging(verbose)


def main(argv: Sequence[str] | None = None) -> Any:
    """Console-script entry point: user errors become one line and a non-zero exit."""
    from wincloud.cli.output import run_cli

    return run_cli(cli, list(argv) if argv is not None else sys.argv[1:])
