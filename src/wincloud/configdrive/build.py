"""Build a config drive image from a file map: checked, deterministic, written atomically."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

from wincloud.configdrive.layout import (
    DEFAULT_LABEL,
    DriveFormat,
    Folder,
    check_label,
    content_digest,
)
from wincloud.errors import DriveError
from wincloud.platform.atomic import StagedFile

log = logging.getLogger(__name__)


def build_drive(
    files: Mapping[str, bytes],
    out: Path,
    *,
    fmt: DriveFormat = DriveFormat.ISO,
    label: str = DEFAULT_LABEL,
) -> None:
    """Write ``files`` (drive path -> content) to ``out`` as an ISO 9660 or VFAT image.

    The same input always gives the same bytes. The image is written to a temporary file
    beside ``out`` and renamed over it, so a failure leaves any earlier ``out`` untouched.
    The new file is private (mode 0600): a drive may hold the admin password.
    """
    out = Path(out)
    try:
        fmt = DriveFormat(fmt)
    except ValueError:
        raise DriveError(
            f"unknown drive format {fmt!r}",
            subject=str(out),
            hint="use one of: " + ", ".join(f.value for f in DriveFormat),
        ) from None
    check_label(label)
    _refuse_special(out)
    for path, data in files.items():
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DriveError("file content must be bytes", subject=str(path))
    root = Folder.from_files(files, subject=str(out))
    digest = content_digest(files, label)

    def write(sink: BinaryIO) -> None:
        if fmt is DriveFormat.ISO:
            from wincloud.configdrive.iso import write_iso

            write_iso(root, sink, label=label, subject=str(out))
        else:
            from wincloud.configdrive.vfat import write_vfat

            write_vfat(root, sink, label=label, serial=int.from_bytes(digest[:4], "little"))

    _write_atomically(out, write)
    log.info(
        "config drive written path=%s format=%s files=%d bytes=%d",
        out,
        fmt.value,
        len(files),
        out.stat().st_size,
    )


def _refuse_special(out: Path) -> None:
    """The image is renamed into place: a device, FIFO or socket at ``out`` would be replaced
    by a regular file (as root, ``/dev/null`` became one). Refused before anything is written;
    a folder is left to the writer, which says so."""
    try:
        mode = out.stat().st_mode
    except OSError:
        return  # nothing there yet, or unreachable: the writer names what is wrong
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise DriveError(
            "the output path is a device or special file; the drive is written as an image file",
            subject=str(out),
            hint="write a file, then copy it onto the device (dd if=drive.iso of=DEVICE)",
        )


def _write_atomically(out: Path, write: Callable[[BinaryIO], None]) -> None:
    """Stage the image beside ``out``, then rename it over (``platform.atomic``: a failure,
    a DriveError from ``write`` or Ctrl-C removes the staging file). Private, mode 0600."""
    try:
        staged = StagedFile(out, mode=0o600)
    except OSError as exc:
        raise DriveError(
            f"cannot create the drive image ({exc.strerror})",
            subject=str(out),
            hint="check that the output directory exists and is writable",
        ) from exc
    try:
        with staged as sink:
            write(sink)
    except OSError as exc:
        raise DriveError(
            f"cannot write the drive image ({exc.strerror})",
            subject=str(out),
            hint="check free space and that the output path is not a directory",
        ) from exc
