"""``wincloud agent service``: register the Windows service that runs the agent at boot
(``install``, ``remove``, ``status``), host it (``run``, what the Service Control Manager
starts), and prepare the Sysprep stage (``setupcomplete``). Windows only; the tests pass fake
bindings through ``ctx.obj``."""

from __future__ import annotations

import sys
from typing import Any

import click

START_TYPES = ("auto", "delayed", "manual")
DEFAULT_UNATTEND_PLUGINS = ("users", "password")


def _given(ctx: click.Context, name: str) -> Any:
    """What the caller (a test) put in ``ctx.obj``, else None."""
    return (ctx.obj or {}).get(name)


def _services(ctx: click.Context) -> Any:
    from wincloud.platform.windows._win32.services import ScmServices

    return _given(ctx, "services") or ScmServices()


def _platform(ctx: click.Context) -> Any:
    from wincloud.platform.windows import windows_platform

    return _given(ctx, "platform") or windows_platform()


def _windows_dir(ctx: click.Context) -> str:
    from wincloud.platform.windows._win32.kernel32 import Win32Kernel32

    return str(_given(ctx, "windows_dir") or Win32Kernel32().windows_directory())


@click.group("service")
def service() -> None:
    """The Windows service that runs the agent at every boot (see docs/windows-guest.md)."""


@service.command("install")
@click.option("--start", type=click.Choice(START_TYPES), default="delayed", show_default=True)
@click.option("--python", "python", default=sys.executable, help="The Python that runs wincloud.")
@click.pass_context
def install(ctx: click.Context, start: str, python: str) -> None:
    """Register the service (LocalSystem, its own process); change its start type if it is
    registered already."""
    from wincloud.platform.windows._win32.services import StartType
    from wincloud.platform.windows.service import (
        DESCRIPTION,
        DISPLAY_NAME,
        SERVICE_NAME,
        service_command,
    )

    services = _services(ctx)
    if services.query(SERVICE_NAME) is not None:
        services.set_start(SERVICE_NAME, StartType(start))
        click.echo(f"{SERVICE_NAME}: already installed, start={start}")
        return
    services.create(
        SERVICE_NAME,
        display=DISPLAY_NAME,
        command=service_command(python),
        start=StartType(start),
        description=DESCRIPTION,
    )
    click.echo(f"{SERVICE_NAME}: installed, start={start}")


@service.command("remove")
@click.pass_context
def remove(ctx: click.Context) -> None:
    """Stop the service if it runs, then remove it."""
    from wincloud.platform.windows.service import SERVICE_NAME

    services = _services(ctx)
    info = services.query(SERVICE_NAME)
    if info is None:
        click.echo(f"{SERVICE_NAME}: not installed")
        return
    if info.state == "running":
        services.stop(SERVICE_NAME)
    services.delete(SERVICE_NAME)
    click.echo(f"{SERVICE_NAME}: removed")


@service.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """State, start type and command line; exit status 3 when not installed."""
    from wincloud.platform.windows.service import SERVICE_NAME

    info = _services(ctx).query(SERVICE_NAME)
    if info is None:
        click.echo(f"{SERVICE_NAME}: not installed")
        ctx.exit(3)
    click.echo(f"{SERVICE_NAME}: {info.state} start={info.start} command={info.command}")


@service.command("run")
def run() -> None:
    """Host the service (the Service Control Manager starts this; not for interactive use)."""
    from wincloud.platform.windows.service import serve

    serve()


@service.command("setupcomplete")
@click.option("--python", "python", default=sys.executable, help="The Python that runs wincloud.")
@click.option(
    "--plugins",
    default=",".join(DEFAULT_UNATTEND_PLUGINS),
    show_default=True,
    help="Plugins of the setup stage (before first logon), comma separated.",
)
@click.option("--remove", "undo", is_flag=True, help="Take our block out of SetupComplete.cmd.")
@click.pass_context
def setupcomplete(ctx: click.Context, python: str, plugins: str, undo: bool) -> None:
    """Run the agent from SetupComplete.cmd (after Sysprep, before the first logon) with
    its own config; the service does the rest once setup is over."""
    from wincloud.platform.windows.setupcomplete import (
        UNATTEND_CONFIG,
        install_setupcomplete,
        setupcomplete_path,
        uninstall_setupcomplete,
    )

    files, windows_dir = _platform(ctx).files, _windows_dir(ctx)
    path = setupcomplete_path(windows_dir)
    if undo:
        changed = uninstall_setupcomplete(files, windows_dir)
        click.echo(f"{path}: {'block removed' if changed else 'no block'}")
        return
    names = [name.strip() for name in plugins.split(",") if name.strip()]
    if files.read(UNATTEND_CONFIG) is None:
        listed = ", ".join(f'"{name}"' for name in names)
        text = (
            "# wincloud agent, setup stage (SetupComplete.cmd): before the first logon.\n"
            "# Reboots are not allowed here; the service reboots once setup is over.\n"
            f"plugins = [{listed}]\nallow_reboot = false\n"
        )
        files.write(UNATTEND_CONFIG, text.encode())
        click.echo(f"{UNATTEND_CONFIG}: written")
    changed = install_setupcomplete(files, windows_dir, python)
    click.echo(f"{path}: {'updated' if changed else 'unchanged'}")
