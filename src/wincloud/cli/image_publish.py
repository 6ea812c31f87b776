"""``wincloud image publish IMAGE --spec SPEC``: the image into Glance with the properties Nova
needs (docs/images.md#publish-to-glance)."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from wincloud.cli._signals import sigterm_unwinds
from wincloud.cli.output import echo_json
from wincloud.errors import ConfigError, ImageError

if TYPE_CHECKING:
    from wincloud.image.disk.inspect import ImageReport
    from wincloud.image.glance import Progress

MAX_REPORT_BYTES = 16 << 20
"""An inspection report is a few KiB; a bound keeps /dev/zero from being read forever."""


def _connect(cloud: str | None) -> Any:
    try:
        from openstack.exceptions import ConfigException

        import openstack
    except ImportError:
        raise ConfigError(
            "openstacksdk is not installed",
            subject="wincloud image publish",
            hint="pip install 'wincloud[image]'",
        ) from None
    try:
        return openstack.connect(cloud=cloud)
    except ConfigException as exc:
        raise ConfigError(
            f"cannot configure the OpenStack connection ({str(exc)[:200]})",
            subject=cloud or "OS_* environment",
            hint="name a cloud of clouds.yaml with --cloud, or set the OS_* variables",
        ) from None


def _read_report(image: Path, report_file: Path | None) -> ImageReport:
    from wincloud.image.disk.inspect import inspect_image
    from wincloud.image.publish import report_from_json

    if report_file is None:
        return inspect_image(image)
    from wincloud.image.infile import read_regular

    try:
        data = json.loads(read_regular(report_file, limit=MAX_REPORT_BYTES))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"cannot read the inspection report ({exc})",
            subject=str(report_file),
            hint="write it with `wincloud image inspect IMAGE --json > FILE.json`",
        ) from None
    try:
        return report_from_json(data)
    except ImageError as exc:
        raise ImageError(exc.message, subject=str(report_file), hint=exc.hint) from None


def _image_adapter(conn: Any, cloud: str | None) -> tuple[Any, str]:
    """openstacksdk's image proxy and its endpoint; a cloud without one is the user's error."""
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    try:
        adapter = conn.image
        return adapter, str(adapter.get_endpoint())
    except (SDKException, ClientException) as exc:
        raise ImageError(
            f"no usable image endpoint ({type(exc).__name__}: {str(exc)[:200]})",
            subject=cloud or "OS_* environment",
            hint="check the cloud's auth and its image service (or image_endpoint_override)",
        ) from None


@contextlib.contextmanager
def _bar(label: str, length: int) -> Iterator[Progress | None]:
    """A progress bar on a terminal (stderr), nothing otherwise."""
    if not sys.stderr.isatty() or length == 0:
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, width=30) as bar:
        seen = [0]

        def advance(done: int) -> None:
            bar.update(done - seen[0])
            seen[0] = done

        yield advance


@click.command("publish")
@click.argument("image", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--spec", "spec_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cloud", default=None, help="A cloud of clouds.yaml (default: OS_* variables).")
@click.option(
    "--report",
    "report_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The JSON of `wincloud image inspect --json` (default: inspect IMAGE now).",
)
@click.option("--dry-run", is_flag=True, help="Print the image fields and properties; no upload.")
@click.option(
    "--import/--no-import",
    "use_import",
    default=None,
    help="Force glance-direct import or the classic upload (default: import when offered).",
)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where a converted copy is written (default: next to IMAGE).",
)
@click.option("--timeout", type=float, default=3600.0, show_default=True, help="Seconds.")
def publish(
    image: Path,
    spec_path: Path,
    cloud: str | None,
    report_file: Path | None,
    dry_run: bool,
    use_import: bool | None,
    work_dir: Path | None,
    timeout: float,
) -> None:
    """Upload IMAGE to Glance with the properties its spec and inspection imply.

    Contradictions (a UEFI image published as BIOS, hw_disk_bus=scsi without vioscsi, an image
    that is not generalized) are refused before anything is sent. An interrupted upload is
    resumed: run the same command again."""
    from wincloud.image.glance import GlanceImages, file_hash, publish_file
    from wincloud.image.glance_format import check_upload, convert, detect_format, needs_conversion
    from wincloud.image.publish import plan_image
    from wincloud.image.spec import load_spec

    spec = load_spec(spec_path)
    report = _read_report(image, report_file)
    plan = plan_image(spec, report)
    disk_format = plan.disk_format
    compression = spec.publish.compression
    found = detect_format(image)
    convert_needed = needs_conversion(found, disk_format, compression)
    if dry_run:
        echo_json(
            {
                "image": plan.fields(),
                "data": {
                    "file": str(image),
                    "format": found.name,
                    "convert_to": disk_format if convert_needed else None,
                    "compression": compression,
                },
            }
        )
        return

    folder = work_dir or image.parent
    # SIGTERM/SIGHUP unwind like Ctrl-C: the converted copy (as large as the image) goes
    with (
        sigterm_unwinds(),
        tempfile.TemporaryDirectory(dir=folder, prefix=".wincloud-publish-") as tmp,
    ):
        upload = image
        if convert_needed:
            from wincloud.platform import current

            upload = Path(tmp) / f"{image.stem}.{disk_format}"
            click.echo(f"converting {found.name} -> {disk_format} ({compression})", err=True)
            convert(current().processes, image, upload, disk_format, compression)
        check_upload(upload, disk_format)
        size = upload.stat().st_size
        with _bar("hashing  ", size) as progress:
            upload_hash = file_hash(upload, progress=progress)
        conn = _connect(cloud)
        try:
            adapter, endpoint = _image_adapter(conn, cloud)
            glance = GlanceImages(
                adapter,
                where=endpoint,
                project_id=conn.current_project_id,  # None with a bare token
            )
            with _bar("uploading", size) as progress:
                done = publish_file(
                    glance,
                    upload,
                    plan.fields(),
                    upload_hash=upload_hash,
                    progress=progress,
                    use_import=use_import,
                    timeout=timeout,
                    notify=lambda message: click.echo(message, err=True),
                )
        finally:
            conn.close()
    if done.status != "active":  # pragma: no cover - publish_file raises first
        raise ImageError(f"the image is {done.status}", subject=done.image_id)
    rate = size / 2**20 / done.seconds if done.seconds > 0 else 0.0
    click.echo(
        f"published {plan.name} id={done.image_id} method={done.method} "
        f"resumed={'yes' if done.resumed else 'no'} size={size} "
        f"{done.hash_algo}={done.hash_value[:16]}... verified seconds={done.seconds:.1f} "
        f"rate={rate:.1f}MiB/s"
    )
