"""Our own VHD/VHDX library: pure bytes, no host needed.

Reading: ``open_disk(path)`` opens a VHD, VHDX or raw file with its chain of parents and returns
a ``DiskImage`` (``read(offset, length)``, ``iter_chunks()``, ``virtual_size``, ``kind``...).
Writing: ``create_disk``, ``create_differencing``, ``write_from_stream``, ``convert``,
``resize``, ``fixed_vhd_stream`` (raw stream -> fixed VHD stream, no file); inspecting:
``inspect``, ``check``. Errors are ``VhdError`` (code ``vhd-error``).
"""

from __future__ import annotations

from wincloud.hyperv.vhd.chain import MAX_DEPTH, detect_format, open_disk, open_image
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.image import DiskImage, RawImage
from wincloud.hyperv.vhd.ops import (
    CopyResult,
    DiskInfo,
    check,
    convert,
    create_differencing,
    create_disk,
    inspect,
    resize,
    write_from_stream,
)
from wincloud.hyperv.vhd.sizes import format_size, parse_size
from wincloud.hyperv.vhd.stream import fixed_vhd_footer, fixed_vhd_stream
from wincloud.hyperv.vhd.vhd_image import VhdImage
from wincloud.hyperv.vhd.vhdx_image import VhdxImage

__all__ = [
    "MAX_DEPTH",
    "CopyResult",
    "DiskImage",
    "DiskInfo",
    "RawImage",
    "VhdError",
    "VhdImage",
    "VhdxImage",
    "check",
    "convert",
    "create_differencing",
    "create_disk",
    "detect_format",
    "fixed_vhd_footer",
    "fixed_vhd_stream",
    "format_size",
    "inspect",
    "open_disk",
    "open_image",
    "parse_size",
    "resize",
    "write_from_stream",
]
