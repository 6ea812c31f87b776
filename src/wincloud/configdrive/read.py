"""Read a config drive (ISO 9660 or FAT image, or a block device) without mounting it."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Final

from wincloud.configdrive.layout import DEFAULT_LABEL, DriveFormat
from wincloud.configdrive.vfat_read import FatBoot
from wincloud.errors import DriveError

log = logging.getLogger(__name__)

META_DATA_PATH: Final = "openstack/latest/meta_data.json"
_ISO_MAGIC: Final = b"CD001"


def detect_format(path: Path) -> DriveFormat:
    """ISO or VFAT, from the image's content (never its name)."""
    with _open(path) as image:
        return _detect(image, str(path))


def read_drive_label(path: Path) -> str | None:
    """The volume label as blkid would report it (None when the volume has none)."""
    with _open(path) as image:
        return _label(image, _detect(image, str(path)), str(path))


def read_drive(path: Path, *, label: str | None = DEFAULT_LABEL) -> dict[str, bytes]:
    """Every file on the drive, by relative POSIX path.

    ``label`` is checked case-insensitively (FAT tools often store CONFIG-2); None skips it.
    """
    subject = str(path)
    with _open(path) as image:
        fmt = _detect(image, subject)
        found = _label(image, fmt, subject)
        if label is not None and (found or "").casefold() != label.casefold():
            raise DriveError(
                f"volume label is {found!r}, expected {label!r}",
                subject=subject,
                hint=f"config drives are labelled {label}; check the image or device path",
            )
        try:
            files = _read_files(image, fmt, subject)
        except OSError as exc:
            raise DriveError(f"cannot read the drive ({exc.strerror})", subject=subject) from exc
    log.debug("config drive read path=%s format=%s files=%d", subject, fmt.value, len(files))
    return files


def get_meta_data(files: Mapping[str, bytes], *, subject: str) -> dict[str, Any]:
    """The drive's openstack/latest/meta_data.json: a JSON object with a ``uuid``."""
    where = f"{subject}:{META_DATA_PATH}"
    raw = files.get(META_DATA_PATH)
    if raw is None:
        raise DriveError(
            f"no {META_DATA_PATH} on the drive",
            subject=subject,
            hint="this is not an OpenStack config drive, or it was built without metadata",
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise DriveError(
            f"meta_data.json is not valid JSON (line {exc.lineno}, column {exc.colno})",
            subject=where,
        ) from None
    except ValueError:
        raise DriveError("meta_data.json is not valid UTF-8 JSON", subject=where) from None
    if not isinstance(data, dict):
        raise DriveError("meta_data.json is not a JSON object", subject=where)
    uuid = data.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise DriveError("meta_data.json has no uuid", subject=where)
    return data


def _read_files(image: BinaryIO, fmt: DriveFormat, subject: str) -> dict[str, bytes]:
    if fmt is DriveFormat.ISO:
        from wincloud.configdrive.iso import read_iso

        return read_iso(image, subject=subject)[1]
    from wincloud.configdrive.vfat_read import read_vfat

    return read_vfat(image, subject=subject)[1]


@contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    try:
        kind = Path(path).stat().st_mode
    except OSError:
        kind = 0  # the open below says what is wrong
    if stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind):
        # Opening a FIFO waits for a writer: the command (or the agent's boot) would hang.
        raise DriveError(
            "a FIFO or socket, not a drive image",
            subject=str(path),
            hint="give an ISO or VFAT image file or a block device such as /dev/sr0",
        )
    try:
        image = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except IsADirectoryError:
        raise DriveError(
            "a directory, not a drive image",
            subject=str(path),
            hint="give an ISO or VFAT image file or a block device such as /dev/sr0",
        ) from None
    except OSError as exc:
        raise DriveError(
            f"cannot open the drive ({exc.strerror})",
            subject=str(path),
            hint="check the path, and that you may read it (block devices often need root)",
        ) from exc
    with image:
        yield image


def _detect(image: BinaryIO, subject: str) -> DriveFormat:
    try:
        image.seek(0)
        boot = image.read(512)
        image.seek(0x8001)
        magic = image.read(len(_ISO_MAGIC))
    except OSError as exc:
        raise DriveError(f"cannot read the drive ({exc.strerror})", subject=subject) from exc
    if magic == _ISO_MAGIC:
        return DriveFormat.ISO
    if FatBoot.parse(boot) is not None:
        return DriveFormat.VFAT
    raise DriveError(
        "empty file, not a drive image" if not boot else "not an ISO 9660 or FAT image",
        subject=subject,
        hint="config drives are ISO 9660 or VFAT images (wincloud configdrive build makes both)",
    )


def _label(image: BinaryIO, fmt: DriveFormat, subject: str) -> str | None:
    try:
        if fmt is DriveFormat.ISO:
            from wincloud.configdrive.iso import read_iso_label

            return read_iso_label(image)
        from wincloud.configdrive.vfat_read import read_vfat_label

        return read_vfat_label(image, subject=subject)
    except OSError as exc:
        raise DriveError(f"cannot read the drive ({exc.strerror})", subject=subject) from exc
