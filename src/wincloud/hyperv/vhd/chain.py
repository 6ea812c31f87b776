"""Opening a disk by content (VHD, VHDX or raw) and following its parents.

Parents are found through the locator entries in the order the formats prescribe (relative
path first), converted from Windows form; the chain is at most ``MAX_DEPTH`` disks deep, may
not loop, and every link is checked (VHDX parent_linkage against the parent's DataWriteGuid,
VHD parent unique id against the parent's footer) unless the caller asks only to inspect.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.fileio import read_at
from wincloud.hyperv.vhd.image import DiskImage, RawImage, open_fd
from wincloud.hyperv.vhd.vhd_image import VhdImage
from wincloud.hyperv.vhd.vhdx_image import VhdxImage

MAX_DEPTH = 16
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def detect_format(path: Path) -> str:
    """``vhdx``, ``vhd`` or ``raw``, from the file's signatures."""
    fd = open_fd(path, writable=False)
    try:
        head = read_at(fd, 8, 0)
        size = os.fstat(fd).st_size
        tail = read_at(fd, 8, size - 512) if size >= 512 else b""
    finally:
        os.close(fd)
    if head == b"vhdxfile":
        return "vhdx"
    if head == b"conectix" or tail == b"conectix":
        return "vhd"
    return "raw"


def open_image(path: Path, *, writable: bool = False, fmt: str | None = None) -> DiskImage:
    """One disk file, without its parents."""
    kind = fmt or detect_format(path)
    suffix = path.suffix.lower().lstrip(".")
    if kind == "raw" and suffix in ("vhd", "vhdx"):
        signature = "'vhdxfile'" if suffix == "vhdx" else "'conectix' footer"
        raise VhdError(
            f"not a {suffix.upper()} file: no {signature} signature",
            subject=str(path),
            hint="open raw images under a name ending in .raw or .img",
        )
    if kind == "vhdx":
        return VhdxImage.open(path, writable=writable)
    if kind == "vhd":
        return VhdImage.open(path, writable=writable)
    return RawImage.open(path, writable=writable)


def is_windows_absolute(text: str) -> bool:
    return bool(_DRIVE.match(text)) or text.startswith("\\\\")


def local_candidate(key: str, text: str, base: Path) -> Path | None:
    """Where a locator path points on this machine (None for volume GUID paths)."""
    if key == "volume_path" or not text:
        return None
    if text.startswith("\\\\?\\"):
        text = text[4:]
    if is_windows_absolute(text) and not text.startswith("/"):
        return Path(text.replace("\\", "/"))  # exists only where the share is mounted so
    relative = text.replace("\\", "/")
    return Path(relative) if relative.startswith("/") else base / relative


def locate_parent(disk: DiskImage) -> Path:
    tried = []
    for key, text in disk.parent_locations():
        candidate = local_candidate(key, text, disk.path.parent)
        if candidate is None:
            continue
        tried.append(str(candidate))
        if candidate.is_file():
            return candidate
    raise VhdError(
        "cannot find the parent disk",
        subject=str(disk.path),
        hint=f"looked for: {', '.join(tried) or 'no usable locator entry'}",
    )


def open_disk(
    path: Path, *, writable: bool = False, check_linkage: bool = True, parents: bool = True
) -> DiskImage:
    """A disk with its whole chain of parents open (parents read-only)."""
    image = open_image(path, writable=writable)
    seen = {os.path.realpath(path)}
    node = image
    try:
        while parents and node.kind == "differencing":
            if len(seen) >= MAX_DEPTH:
                raise VhdError(
                    f"the differencing chain is deeper than {MAX_DEPTH} disks", subject=str(path)
                )
            parent_path = locate_parent(node)
            real = os.path.realpath(parent_path)
            if real in seen:
                raise VhdError(f"the chain loops back to {parent_path}", subject=str(node.path))
            seen.add(real)
            parent = open_image(parent_path)
            problem = node.linkage_problem(parent)
            if problem and check_linkage:
                parent.close()
                raise VhdError(
                    f"parent linkage mismatch: {problem}",
                    subject=str(node.path),
                    hint="the parent was modified or replaced after the child was made; "
                    "recreate the child over the right parent",
                )
            node.parent = parent
            node = parent
    except BaseException:
        image.close()
        raise
    return image
