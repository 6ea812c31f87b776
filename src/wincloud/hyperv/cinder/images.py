"""Glance images <-> VHDX volume files with our VHD/VHDX library (no qemu-img, no Cinder).

Image to volume: the downloaded file must really be what Glance says (raw, vhd or vhdx: a raw
image that parses as VHD/VHDX is refused, so a guest cannot smuggle a disk header in), it is
converted into a dynamic VHDX and grown to the volume's size. Volume to image: the volume's VHDX
is converted to the image's disk format (vhdx, vhd or raw).
"""

from __future__ import annotations

from pathlib import Path

from wincloud.errors import ImageError
from wincloud.hyperv import vhd

IMAGE_FORMATS = ("raw", "vhd", "vhdx")


def _check_format(disk_format: str | None, subject: str) -> str:
    fmt = (disk_format or "").lower()
    if fmt not in IMAGE_FORMATS:
        raise ImageError(
            f"disk format {disk_format!r} is not supported by the Windows iSCSI backend",
            subject=subject,
            hint="convert the image to vhdx, vhd or raw (qemu-img convert) and upload it again",
        )
    return fmt


def image_to_vhdx(source: Path, disk_format: str | None, dest: Path, size_bytes: int) -> int:
    """``source`` (a downloaded image) -> a dynamic VHDX at ``dest`` of ``size_bytes``; returns
    the image's virtual size. ImageError when the format is unsupported, does not match the
    file, or the image is larger than the volume."""
    fmt = _check_format(disk_format, str(source))
    found = vhd.detect_format(source)
    if found != fmt:
        raise ImageError(
            f"the image is labelled {fmt} but its data is {found}",
            subject=str(source),
            hint="fix the image's disk_format in Glance",
        )
    with vhd.open_image(source, fmt=fmt) as image:
        virtual, kind = image.virtual_size, image.kind
    if kind == "differencing":
        raise ImageError(
            "the image is a differencing disk (its parent is not in Glance)",
            subject=str(source),
            hint="merge it into a standalone disk first (wincloud vhd convert)",
        )
    if virtual > size_bytes:
        raise ImageError(
            f"the image's virtual size ({virtual} bytes) is larger than the volume "
            f"({size_bytes} bytes)",
            subject=str(source),
            hint="create a larger volume",
        )
    vhd.convert(source, dest, fmt="vhdx", kind="dynamic")
    if size_bytes > vhd.inspect(dest).virtual_size:
        vhd.resize(dest, size_bytes)
    return virtual


def vhdx_to_image(source: Path, disk_format: str | None, dest: Path) -> Path:
    """The volume's VHDX ``source`` in the image's format; ``source`` itself when it is vhdx."""
    fmt = _check_format(disk_format, str(dest))
    if fmt == "vhdx":
        return source
    vhd.convert(source, dest, fmt=fmt, kind="dynamic")
    return dest
