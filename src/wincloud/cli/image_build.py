"""``wincloud image media|build``: the answer CD, and the QEMU install that uses it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wincloud.cli._signals import sigterm_unwinds

PATH = click.Path(path_type=Path)


@click.command()
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=PATH, help="The answer CD image to write.")
def media(spec_file: Path, out: Path) -> None:
    """Write the answer CD of SPEC (answer files, VirtIO drivers for its Windows version, the
    agent MSI, the build script, SHA256SUMS) to OUT; same inputs, same bytes."""
    from wincloud.image.media import build_media
    from wincloud.image.spec import load_spec

    spec = load_spec(spec_file)
    with sigterm_unwinds():  # a terminated write leaves no hidden staging file behind
        files = build_media(spec, out)
    size = out.stat().st_size
    click.echo(f"wrote {out} ({len(files)} files, {size} bytes)", err=True)


@click.command()
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=PATH, help="The qcow2 disk image to write.")
@click.option(
    "--accel",
    type=click.Choice(["auto", "kvm", "tcg"]),
    default=None,
    help="Accelerator (default: the spec's build.accel); auto probes KVM with a tiny guest.",
)
@click.option(
    "--keep-disk", is_flag=True, default=None, help="Keep the partial disk when the build fails."
)
@click.option(
    "--discard-partial",
    is_flag=True,
    help="Replace OUT.partial, the disk an earlier failed build kept (refused otherwise).",
)
@click.option(
    "--screenshot-dir",
    type=PATH,
    default=None,
    help="Save a screenshot at each stage and the failure artefacts here.",
)
def build(
    spec_file: Path,
    out: Path,
    accel: str | None,
    keep_disk: bool | None,
    discard_partial: bool,
    screenshot_dir: Path | None,
) -> None:
    """Install Windows from SPEC under QEMU into OUT (qcow2), following the stage markers on
    the serial port; succeeds only when the guest powers off after sysprep."""
    from wincloud.image.build import BuildOptions, build_image
    from wincloud.image.build.progress import progress_for
    from wincloud.image.spec import load_spec

    options = BuildOptions(
        accel=accel,  # type: ignore[arg-type]
        keep_disk=keep_disk,
        screenshot_dir=screenshot_dir,
        discard_partial=discard_partial,
    )
    with sigterm_unwinds():
        result = build_image(
            load_spec(spec_file), out, options=options, progress=progress_for(sys.stderr)
        )
    click.echo(f"wrote {out} in {result.elapsed:.0f} s", err=True)
