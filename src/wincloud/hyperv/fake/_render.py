"""Bytes for a virtual disk the fake keeps as a record (made by New-VHD, not written byte by
byte), so ``read_file`` can hand it out like a host would: an empty disk of the same format, type
and size written by our VHD library; a differencing disk names its parent's host path in its
locator. Fixed disks are refused above ``MAX_FIXED`` (their file is the whole virtual size)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from wincloud.hyperv.fake._fs import VhdRecord
from wincloud.hyperv.host import VhdType

MAX_FIXED = 64 * 1024 * 1024


def render_vhd(rec: VhdRecord, parent_path: str | None) -> bytes | None:
    """The disk's bytes, or None when they would be too large to build in memory."""
    from wincloud.hyperv.vhd import create_differencing, create_disk

    if rec.vhd_type is VhdType.FIXED and rec.size_bytes > MAX_FIXED:
        return None
    suffix = "." + rec.format.value
    with tempfile.TemporaryDirectory(prefix="wincloud-fake-") as tmp:
        out = Path(tmp) / ("disk" + suffix)
        if rec.vhd_type is VhdType.DIFFERENCING:
            parent = Path(tmp) / ("parent" + suffix)
            create_disk(parent, rec.size_bytes, kind="dynamic")
            create_differencing(parent, out, parent_path_for_locator=parent_path)
        else:
            create_disk(out, rec.size_bytes, kind=rec.vhd_type.value)
        return out.read_bytes()
