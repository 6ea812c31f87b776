"""Bytes for a virtual disk the fake keeps as a record (made by New-VHD, not written byte by
byte), so ``read_file`` can hand it out like a host would: an empty disk of the same format, type
and size written by our VHD library; a differencing disk names its parent's host path in its
locator. Fixed disks are refused above ``MAX_FIXED`` (their file is the whole virtual size)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from wincloud.hyperv.host import VhdFormat, VhdType

MAX_FIXED = 64 * 1024 * 1024


@functools.lru_cache(maxsize=64)
def render_vhd(
    fmt: VhdFormat, kind: VhdType, size_bytes: int, parent_path: str | None
) -> bytes | None:
    """The disk's bytes, or None when they would be too large to build in memory. Cached: an
    empty disk's bytes depend only on these four values (our writer is deterministic enough for
    a fake: identities are fresh GUIDs, sizes and layout are not)."""
    from wincloud.hyperv.vhd import create_differencing, create_disk

    if kind is VhdType.FIXED and size_bytes > MAX_FIXED:
        return None
    suffix = "." + fmt.value
    with tempfile.TemporaryDirectory(prefix="wincloud-fake-") as tmp:
        out = Path(tmp) / ("disk" + suffix)
        if kind is VhdType.DIFFERENCING:
            parent = Path(tmp) / ("parent" + suffix)
            create_disk(parent, size_bytes, kind="dynamic")
            create_differencing(parent, out, parent_path_for_locator=parent_path)
        else:
            create_disk(out, size_bytes, kind=kind.value)
        return out.read_bytes()
