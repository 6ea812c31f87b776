"""``wincloud image check|unattend|lint``: the spec and the answer files (no QEMU, no disks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from wincloud.image.spec import ImageSpec

spec_argument = click.argument(
    "spec_path", metavar="SPEC", type=click.Path(dir_okay=False, path_type=Path)
)


@click.command()
@spec_argument
@click.option(
    "--require-files",
    is_flag=True,
    help="Also check that the ISOs, the agent MSI and driver folders exist.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the checked spec as JSON.")
def check(spec_path: Path, require_files: bool, as_json: bool) -> None:
    """Validate SPEC (every key, and what keys say together); print a summary and its digest."""
    from wincloud.image.spec import load_spec

    spec = load_spec(spec_path)
    if require_files:
        from wincloud.image.media import list_extra_files

        spec.require_files()
        for number, folder in enumerate(spec.drivers.extra):  # links out, FIFOs: as media does
            list_extra_files(folder, key=f"drivers.extra[{number}]")
    if as_json:
        out = {"spec": spec.canonical(), "digest": spec.digest()}
        click.echo(json.dumps(out, indent=2, sort_keys=True))
        return
    src, fw = spec.source, spec.firmware
    what = src.edition if src.edition is not None else f"image index {src.index}"
    boot = fw.type + (" + Secure Boot" if fw.secure_boot else "") + (" + TPM" if fw.tpm else "")
    click.echo(f"ok: {spec.image.name}: Windows {src.version} {src.architecture}, {what}")
    click.echo(
        f"    {boot}, disk {spec.disk.bus} {spec.disk.size_gib} GiB, nic {spec.network.model},"
        f" licensing {spec.licensing.kind}"
    )
    click.echo(f"    digest sha256:{spec.digest()}")


@click.command()
@spec_argument
@click.option(
    "--stage",
    type=click.Choice(["install", "generalize"]),
    default="install",
    show_default=True,
    help="install: autounattend.xml for Setup; generalize: the file sysprep uses for clones.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def unattend(spec_path: Path, stage: str, out: Path | None) -> None:
    """Write the answer file of SPEC for --stage (ASCII XML; same spec, same bytes)."""
    from wincloud.image.media import check_output
    from wincloud.image.outfile import write_output
    from wincloud.image.spec import load_spec
    from wincloud.image.unattend import render_unattend

    spec = load_spec(spec_path)
    data = render_unattend(spec, "install" if stage == "install" else "generalize")
    if out is None:
        click.echo(data.decode("ascii"), nl=False)
        return
    check_output(out, "answer file")
    _refuse_spec_inputs(out, spec)
    from wincloud.cli._signals import sigterm_unwinds

    with sigterm_unwinds():  # a terminated write leaves no hidden staging file behind
        write_output(out, data, what="answer file")


def _refuse_spec_inputs(out: Path, spec: ImageSpec) -> None:
    """``--out spec.toml`` (or the licence key file) would replace an input with XML."""
    from wincloud.errors import ConfigError

    inputs = {"the spec": spec.path, "licensing.mode": spec.licensing.key_file}
    for key, path in inputs.items():
        if path is not None and out.exists() and path.exists() and out.samefile(path):
            raise ConfigError(
                f"--out would replace {key}, an input of the answer file",
                subject=str(out),
                hint="give --out another file name",
            )


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def lint(file: Path, as_json: bool) -> None:
    """Check an answer FILE for known mistakes; exit 1 when any finding is an error."""
    from wincloud.errors import ConfigError
    from wincloud.image.unattend.lint import has_errors, lint_unattend
    from wincloud.image.unattend.parse import MAX_BYTES

    try:
        if file.exists() and not file.is_file():  # a FIFO blocked on open, a device read on
            raise ConfigError(
                "not a regular file (a FIFO, socket or device)",
                subject=str(file),
                hint="give an answer file (XML)",
            )
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the answer file ({exc.strerror})", subject=str(file)
        ) from None
    findings = lint_unattend(data)
    if as_json:
        doc = {"file": str(file), "findings": [f.to_json() for f in findings]}
        click.echo(json.dumps(doc, indent=2))
    else:
        for f in findings:
            click.echo(f"{file}:{f.line}: {f.severity}[{f.rule}] {f.message}")
        errors = sum(f.severity == "error" for f in findings)
        click.echo(
            f"{file}: {errors} error(s), {len(findings) - errors} other finding(s)", err=True
        )
    if has_errors(findings):
        raise SystemExit(1)
