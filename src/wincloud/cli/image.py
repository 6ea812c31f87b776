"""``wincloud image``: Windows cloud images specified, built, customized, inspected and published.

Each subcommand lives in its own module (``wincloud.cli.image_*``) and is imported only when it
runs, so ``wincloud image lint`` never pays for QEMU, libguestfs or openstacksdk.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Final

import click

# name -> ("module:attribute" of a click command, one-line help); imported lazily.
SUBCOMMANDS: Final[Mapping[str, tuple[str, str]]] = {
    "check": ("wincloud.cli.image_spec:check", "Validate an image spec file."),
    "unattend": ("wincloud.cli.image_spec:unattend", "Write an install or generalize answer file."),
    "lint": ("wincloud.cli.image_spec:lint", "Check an answer file for known mistakes."),
    "media": ("wincloud.cli.image_build:media", "Build the answer CD for a spec."),
    "build": ("wincloud.cli.image_build:build", "Install Windows into a disk image under QEMU."),
    "customize": ("wincloud.cli.image_disk:customize", "Edit an image offline (agent, drivers)."),
    "inspect": ("wincloud.cli.image_disk:inspect", "Say what an image holds."),
    "validate": ("wincloud.cli.image_disk:validate", "Check an image against its spec."),
    "publish": ("wincloud.cli.image_publish:publish", "Upload an image to Glance."),
}


class _LazyImageGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = SUBCOMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, _, attr = entry[0].partition(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):  # pragma: no cover - a table error
            raise TypeError(f"{entry[0]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, help_) in SUBCOMMANDS.items()])


@click.group(cls=_LazyImageGroup)
def image() -> None:
    """Windows cloud images: spec, answer media, QEMU build, customize, inspect, Glance."""
