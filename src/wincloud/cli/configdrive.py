"""``wincloud configdrive build|read``: make config-2 drives and look inside them."""

from __future__ import annotations

import base64
import logging
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

import click

from wincloud.cli._db import db_option, open_repo_from
from wincloud.configdrive import (
    DEFAULT_LABEL,
    DriveFormat,
    build_drive,
    detect_format,
    get_meta_data,
    read_drive,
    read_drive_label,
)
from wincloud.errors import ConfigError, DriveError, NotFound

log = logging.getLogger(__name__)


@click.group()
def configdrive() -> None:
    """Build and read config-2 drives (ISO 9660 or VFAT), without root."""


@configdrive.command()
@click.argument("instance_id", metavar="[ID]", required=False)
@db_option
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Instance record as YAML or JSON (instead of ID from the store); - reads standard input.",
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Image to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in DriveFormat]),
    default=DriveFormat.ISO.value,
    show_default=True,
)
def build(
    instance_id: str | None, db: str | None, from_file: Path | None, out: Path, fmt: str
) -> None:
    """Write the config drive of instance ID (from the store: --db URL or $WINCLOUD_DB), or
    of the record in --from-file FILE, to OUT (same input, same bytes)."""
    if instance_id is not None and from_file is not None:
        raise ConfigError(
            "give an instance ID or --from-file FILE, not both",
            subject="wincloud configdrive build",
        )
    if instance_id is None and from_file is None:
        raise ConfigError(
            "which instance? give its ID (a uuid or name in the store) or --from-file FILE",
            subject="wincloud configdrive build",
            hint="`wincloud instance list` shows the stored instances",
        )
    _refuse_to_replace_other_files(out)
    if instance_id is not None:
        files = _render_from_db(db, instance_id)
    else:
        files = _render_from_file(from_file)
    build_drive(files, out, fmt=DriveFormat(fmt))
    click.echo(f"wrote {out} ({fmt}, {len(files)} files, {out.stat().st_size} bytes)", err=True)


@configdrive.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print path -> content as JSON.")
def read(path: Path, as_json: bool) -> None:
    """List the files on a drive image or device (contents with --json)."""
    files = read_drive(path)
    get_meta_data(files, subject=str(path))
    if as_json:
        from wincloud.cli.output import echo_json

        echo_json({name: _json_content(data) for name, data in files.items()})
        return
    for name, data in sorted(files.items()):
        click.echo(f"{len(data):>10}  {name}")
    total = sum(len(data) for data in files.values())
    fmt, label = detect_format(path), read_drive_label(path)
    click.echo(f"{len(files)} files, {total} bytes ({fmt.value}, label {label})", err=True)


def _refuse_to_replace_other_files(out: Path) -> None:
    """An existing file at ``--out`` is replaced only when it is a config drive (rebuilding
    one is routine): anything else there (the store, the record file, a private key, a VM's
    disk, an install ISO) is someone's data, and a slip of ``--out`` must not destroy it."""
    try:
        found = out.stat()
    except OSError:
        return  # nothing there (or unreachable: build_drive reports what is wrong)
    if stat.S_ISDIR(found.st_mode) or (stat.S_ISREG(found.st_mode) and found.st_size == 0):
        return  # a directory: build_drive says so; an empty file holds nothing to lose
    if not stat.S_ISREG(found.st_mode):
        # The image is renamed into place: a device or FIFO would be replaced by a file
        # (as root, --out /dev/null left a regular file where /dev/null was).
        raise ConfigError(
            "--out names a device or special file; the drive is written as an image file",
            subject=str(out),
            hint="write a file, then copy it onto the device (dd if=drive.iso of=DEVICE)",
        )
    try:
        label = read_drive_label(out)
    except DriveError:
        label = None
    except OSError:
        return  # unreadable: build_drive reports what is wrong with the path
    if (label or "").casefold() != DEFAULT_LABEL.casefold():
        raise ConfigError(
            "--out names an existing file that is not a config drive; not replacing it",
            subject=str(out),
            hint="give another --out path (or remove the file first if it is to go)",
        )


def _json_content(data: bytes) -> str | dict[str, str]:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def _render_from_file(path: Path | None) -> Mapping[str, bytes]:
    from wincloud.model import load_instance_file, parse_instance_text
    from wincloud.tree.render import render_drive

    assert path is not None
    if str(path) == "-":  # as `instance add -`: a record piped in, never written to disk
        return render_drive(parse_instance_text(sys.stdin.read(), source="<stdin>"))
    return render_drive(load_instance_file(path))


def _render_from_db(db: str | None, instance_id: str) -> Mapping[str, bytes]:
    from wincloud.tree.render import render_drive

    with open_repo_from(db, migrate=False) as repo:
        stored = repo.get(instance_id)
        where = repo.url
    if stored is None:
        raise NotFound(
            f"no such instance in {where}",
            subject=instance_id,
            hint="`wincloud instance list` (with the same --db) shows the stored instances; "
            "or build from a record with --from-file FILE",
        )
    return render_drive(stored.instance)
