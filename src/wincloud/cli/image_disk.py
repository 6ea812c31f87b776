"""``wincloud image customize|inspect|validate``: offline work on Windows disk images."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import click

from wincloud.cli._signals import sigterm_unwinds
from wincloud.cli.output import echo_json, render_table

log = logging.getLogger(__name__)

_IMAGE = click.Path(exists=True, dir_okay=False, path_type=Path)
_DISK = click.Path(path_type=Path)
"""The image argument: checked by the command, whose error says a disk image was expected."""


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _rows(report: object) -> list[tuple[str, str]]:
    from wincloud.image.disk.inspect import ImageReport

    assert isinstance(report, ImageReport)
    w = report.windows
    drivers = ", ".join(f"{k} {v or '?'}" for k, v in report.drivers.items()) or "none"
    staged = ", ".join(report.staged_drivers) or "none"
    agent = report.agent_version or "absent"
    if report.agent_version and report.agent_staged:
        agent += " (staged: installs at first boot)"
    rows = [
        ("format", report.format),
        ("virtual size", _size(report.virtual_size)),
        ("actual size", _size(report.actual_size)),
        ("partition table", report.partition_table or "none"),
        ("firmware", report.firmware or "unknown"),
        ("windows", (w.product_name or "?") if w else "not found"),
    ]
    if w is not None:
        rows += [
            ("edition", w.edition_id or "?"),
            ("type", w.installation_type or "?"),
            ("build", str(w.build) if w.build else "?"),
            ("version", w.version or "unknown"),
            ("architecture", w.architecture or "?"),
            ("generalized", f"{'yes' if report.generalized else 'no'} ({report.image_state})"),
            ("agent", agent),
            ("qemu-ga", "yes" if report.qemu_ga else "no"),
            ("drivers", drivers),
            ("staged drivers", staged),
            (
                "boot drivers",
                ", ".join(f"{b}={'yes' if ok else 'no'}" for b, ok in report.boot_drivers.items()),
            ),
            ("virtio-win", report.virtio_win_version or "unknown"),
        ]
    return rows


@click.command()
@click.argument("image", type=_DISK)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def inspect(image: Path, as_json: bool) -> None:
    """Say what IMAGE holds: format, firmware, Windows, sysprep state, agent, drivers."""
    from wincloud.image.disk.inspect import inspect_image

    with sigterm_unwinds():
        report = inspect_image(image)
    if as_json:
        echo_json(report.to_json())
        return
    click.echo(render_table(("field", "value"), _rows(report)))


@click.command()
@click.argument("image", type=_DISK)
@click.option("--agent-msi", type=_IMAGE, help="The wincloud agent MSI to install at first boot.")
@click.option("--agent-version", help="Its version (default: the MSI's ProductVersion).")
@click.option(
    "--virtio-win",
    type=click.Path(exists=True, path_type=Path),
    help="virtio-win ISO (or its unpacked tree).",
)
@click.option(
    "--bus",
    type=click.Choice(["virtio", "scsi"]),
    default="virtio",
    show_default=True,
    help="Disk bus whose storage driver is injected as boot-critical.",
)
@click.option(
    "--reg",
    "reg_files",
    multiple=True,
    type=_IMAGE,
    help=".reg file to apply (hivexregedit format); repeatable.",
)
def customize(
    image: Path,
    agent_msi: Path | None,
    agent_version: str | None,
    virtio_win: Path | None,
    bus: str,
    reg_files: tuple[Path, ...],
) -> None:
    """Edit IMAGE offline: stage the agent and drivers, inject the boot driver, apply .reg."""
    from wincloud.image.disk.customize import CustomizeOptions, customize_image

    opts = CustomizeOptions(
        agent_msi=agent_msi,
        agent_version=agent_version,
        virtio_win=virtio_win,
        bus=bus,
        reg_files=reg_files,
    )
    with sigterm_unwinds():
        plan = customize_image(image, opts)
    if not plan.writes:
        click.echo(f"{image}: nothing to change")
        return
    for path, why in plan.reasons.items():
        click.echo(f"wrote C:\\{path.replace('/', chr(92))} ({why})")
    click.echo(f"{image}: {len(plan.writes)} file(s) written")


@click.command()
@click.argument("image", type=_DISK)
@click.option("--spec", "spec_path", required=True, type=_IMAGE, help="The image spec (TOML).")
@click.option("--json", "as_json", is_flag=True, help="Print problems and properties as JSON.")
def validate(image: Path, spec_path: Path, as_json: bool) -> None:
    """Check IMAGE against its spec: generalized, agent, boot driver, firmware, version."""
    from wincloud.errors import WincloudError
    from wincloud.image.disk.inspect import inspect_image
    from wincloud.image.disk.validate import find_problems
    from wincloud.image.spec import load_spec

    spec = load_spec(spec_path)
    with sigterm_unwinds():
        report = inspect_image(image)
    problems = find_problems(report, spec)
    properties: dict[str, str] = {}
    if not problems and importlib.util.find_spec("wincloud.image.publish") is not None:
        from wincloud.image.publish import glance_properties

        try:
            properties = glance_properties(spec, report)
        except WincloudError as err:
            problems.append(f"glance: {err}")
    if as_json:
        echo_json({"problems": problems, "properties": properties, "report": report.to_json()})
    else:
        for line in problems:
            click.echo(f"problem: {line}")
        if properties:
            click.echo(render_table(("glance property", "value"), sorted(properties.items())))
    if problems:
        raise SystemExit(1)
    click.echo(f"{image}: valid for {spec_path.name}", err=True)
