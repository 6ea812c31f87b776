"""The operator's virtio-win media (the ISO, or a directory with its layout), read lazily.

Layout (virtio-win's): ``<Driver>/<os>/<arch>/<files>``, e.g. ``viostor/2k22/amd64/viostor.sys``,
``NetKVM/w11/amd64/netkvm.inf``; ``<os>`` is 2k16, 2k19, 2k22, 2k25, w10, w11 and ``<arch>``
amd64, ARM64 or x86. The version is taken from the volume label or name
(``virtio-win-0.1.266``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from wincloud.errors import ImageError
from wincloud.image.virtio_layout import OS_DIRS

_VERSION = re.compile(r"virtio-win[-_]?(\d+(?:\.\d+)+)", re.I)
_PCI_MODEL = re.compile(r"=\s*([A-Za-z0-9_.]+)\s*,\s*(PCI\\VEN_[0-9A-Fa-f]{4}&DEV_[^\s,;]+)", re.I)


class DriverMedia(Protocol):
    version: str | None

    def listdir(self, path: str) -> list[str]: ...

    def read(self, path: str) -> bytes: ...


class DirMedia:
    def __init__(self, root: Path) -> None:
        self.root = root
        match = _VERSION.search(root.name)
        self.version = match.group(1) if match else None

    def listdir(self, path: str) -> list[str]:
        target = self.root / path
        return sorted(p.name for p in target.iterdir()) if target.is_dir() else []

    def read(self, path: str) -> bytes:
        return (self.root / path).read_bytes()


class IsoMedia:
    """An ISO 9660 image read with pycdlib (Joliet names when present, else Rock Ridge)."""

    def __init__(self, iso: Any, name: str) -> None:
        self.iso = iso
        self.kind = "joliet_path" if iso.has_joliet() else "rr_path"
        label = iso.pvd.volume_identifier.decode("ascii", "replace").strip()
        match = _VERSION.search(label) or _VERSION.search(name)
        self.version = match.group(1) if match else None

    def listdir(self, path: str) -> list[str]:
        try:
            children = self.iso.list_children(**{self.kind: "/" + path.strip("/")})
        except Exception:  # pycdlib raises its own PyCdlibInvalidInput for a missing path
            return []
        names = []
        for child in children:
            if child.is_dot() or child.is_dotdot():
                continue
            if self.kind == "joliet_path":
                names.append(child.file_identifier().decode("utf-16-be").split(";")[0])
            else:
                names.append(child.rock_ridge.name().decode())
        return sorted(names)

    def read(self, path: str) -> bytes:
        out = io.BytesIO()
        self.iso.get_file_from_iso_fp(out, **{self.kind: "/" + path.strip("/")})
        return out.getvalue()


@contextmanager
def open_media(path: Path) -> Iterator[DriverMedia]:
    if path.is_dir():
        yield DirMedia(path)
        return
    if not path.is_file():  # a FIFO blocked pycdlib's open forever
        raise ImageError(
            "the virtio-win media is neither an ISO file nor a folder",
            subject=str(path),
            hint="give the virtio-win ISO, or the folder it was unpacked to",
        )
    import pycdlib

    iso = pycdlib.PyCdlib()
    try:
        iso.open(str(path))
    except Exception as exc:  # pycdlib's own errors: not an ISO
        raise ImageError(f"cannot read the virtio-win media: {exc}", subject=str(path)) from exc
    try:
        yield IsoMedia(iso, path.name)
    finally:
        iso.close()


def _match_ci(names: list[str], wanted: str) -> str | None:
    return next((n for n in names if n.lower() == wanted.lower()), None)


def driver_files(media: DriverMedia, driver: str, version: str, arch: str) -> dict[str, bytes]:
    """The files of one driver for a Windows version/architecture; {} when the media lacks it."""
    top = _match_ci(media.listdir(""), driver)
    os_dir = OS_DIRS.get(version)
    if top is None or os_dir is None:
        return {}
    osd = _match_ci(media.listdir(top), os_dir)
    if osd is None:
        return {}
    archd = _match_ci(media.listdir(f"{top}/{osd}"), arch)
    if archd is None:
        return {}
    base = f"{top}/{osd}/{archd}"
    return {name: media.read(f"{base}/{name}") for name in media.listdir(base)}


def inf_hardware_ids(inf_text: str) -> tuple[str | None, list[str]]:
    """(install section, PCI hardware ids) from a driver INF's models section."""
    section: str | None = None
    ids: list[str] = []
    for match in _PCI_MODEL.finditer(inf_text):
        section = section or match.group(1)
        if match.group(2).upper() not in (i.upper() for i in ids):
            ids.append(match.group(2))
    return section, ids
