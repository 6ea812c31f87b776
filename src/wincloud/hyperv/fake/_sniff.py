"""Just enough of the VHD and VHDX formats for the fake host to answer Get-VHD on a file that
was written byte by byte (an image copied from Glance): format, type, virtual size and parent.
The full reader and writer is ``wincloud.hyperv.vhd``; this stays small on purpose.

VHD: the 512-byte footer ("conectix", big-endian; disk type at 60, current size at 48); a
differencing VHD names its parent in the dynamic header ("cxsparse", parent unicode name at 64,
UTF-16BE, 512 bytes). VHDX: "vhdxfile" signature; the region table at 192 KiB locates the
metadata region, whose table gives the virtual disk size, the file parameters (bit 0: blocks
left allocated = fixed, bit 1: has parent) and the parent locator's key/value pairs (UTF-16LE).
"""

from __future__ import annotations

import struct
import uuid

from wincloud.hyperv.host import VhdFormat, VhdType

Sniffed = tuple[VhdFormat, VhdType, int, str | None]

_META_REGION = uuid.UUID("8b7ca206-4790-4b9a-b8fe-575f050f886e")
_FILE_PARAMS = uuid.UUID("caa16737-fa36-4d43-b3b6-33f0aa44e76b")
_DISK_SIZE = uuid.UUID("2fa54224-cd1b-4876-b211-5dbed83bf4b8")
_PARENT_LOCATOR = uuid.UUID("a8d35f2d-b30b-454d-abf7-d3d84834ab0c")


def sniff(data: bytes | bytearray) -> Sniffed | None:
    """(format, type, virtual size, parent path as written in the file) or None."""
    if data[:8] == b"vhdxfile":
        return _vhdx(data)
    if len(data) >= 512 and data[-512:-504] == b"conectix":
        return _vhd(data, data[-512:])
    if len(data) >= 511 and data[-511:-503] == b"conectix":  # pre-2004 511-byte footer
        return _vhd(data, data[-511:])
    return None


def _vhd(data: bytes | bytearray, footer: bytes | bytearray) -> Sniffed | None:
    size = struct.unpack_from(">Q", footer, 48)[0]
    disk_type = struct.unpack_from(">I", footer, 60)[0]
    kinds = {2: VhdType.FIXED, 3: VhdType.DYNAMIC, 4: VhdType.DIFFERENCING}
    if disk_type not in kinds:
        return None
    parent: str | None = None
    if disk_type == 4:
        offset = struct.unpack_from(">Q", footer, 16)[0]
        header = data[offset : offset + 1024]
        if header[:8] != b"cxsparse":
            return None
        parent = header[64:576].decode("utf-16-be", "replace").rstrip("\x00") or None
    return VhdFormat.VHD, kinds[disk_type], size, parent


def _vhdx(data: bytes | bytearray) -> Sniffed | None:
    region = data[192 * 1024 : 256 * 1024]
    if region[:4] != b"regi":
        return None
    count = struct.unpack_from("<I", region, 8)[0]
    meta: tuple[int, int] | None = None
    for i in range(min(count, 2047)):
        guid = uuid.UUID(bytes_le=bytes(region[16 + 32 * i : 32 + 32 * i]))
        off, length = struct.unpack_from("<QI", region, 32 + 32 * i)
        if guid == _META_REGION:
            meta = (off, length)
    if meta is None:
        return None
    table = data[meta[0] : meta[0] + meta[1]]
    if table[:8] != b"metadata":
        return None
    items: dict[uuid.UUID, bytes] = {}
    for i in range(min(struct.unpack_from("<H", table, 10)[0], 2047)):
        base = 32 + 32 * i
        guid = uuid.UUID(bytes_le=bytes(table[base : base + 16]))
        off, length = struct.unpack_from("<II", table, base + 16)
        items[guid] = bytes(table[off : off + length])
    if _DISK_SIZE not in items or _FILE_PARAMS not in items:
        return None
    size = struct.unpack_from("<Q", items[_DISK_SIZE])[0]
    flags = struct.unpack_from("<I", items[_FILE_PARAMS], 4)[0]
    if flags & 2:
        return VhdFormat.VHDX, VhdType.DIFFERENCING, size, _vhdx_parent(items.get(_PARENT_LOCATOR))
    kind = VhdType.FIXED if flags & 1 else VhdType.DYNAMIC
    return VhdFormat.VHDX, kind, size, None


def _vhdx_parent(locator: bytes | None) -> str | None:
    if not locator or len(locator) < 20:
        return None
    count = struct.unpack_from("<H", locator, 18)[0]
    pairs: dict[str, str] = {}
    for i in range(min(count, 64)):
        k_off, v_off, k_len, v_len = struct.unpack_from("<IIHH", locator, 20 + 12 * i)
        k = locator[k_off : k_off + k_len].decode("utf-16-le", "replace")
        pairs[k] = locator[v_off : v_off + v_len].decode("utf-16-le", "replace")
    return pairs.get("absolute_win32_path") or pairs.get("relative_path")
