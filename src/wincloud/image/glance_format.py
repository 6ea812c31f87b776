"""The data's real format before it goes to Glance, and qemu-img conversion when it differs.

Glance 33 inspects what it receives and refuses data that does not match ``disk_format`` (raw
bytes labelled qcow2, a qcow2 with a backing or external data file). We read the same headers
first, so the operator hears it before an upload of many gigabytes, from us, with the file named.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from wincloud.errors import ImageError, PlatformError
from wincloud.platform.base import Processes

QCOW2_MAGIC: Final = b"QFI\xfb"
QCOW2_INCOMPAT_DATA_FILE: Final = 1 << 2  # the "external data file" incompatible feature bit
CONVERT_TIMEOUT: Final = 6 * 3600.0


@dataclass(frozen=True)
class DataFormat:
    name: str  # qcow2 | raw | vhdx | vpc | vmdk | vdi
    backing_file: bool = False
    data_file: bool = False
    compression: str | None = None  # qcow2 compression_type when any: zlib | zstd


def detect_format(path: Path) -> DataFormat:
    """What the file holds, by its headers (anything without a known magic is raw)."""
    try:
        with path.open("rb") as src:
            head = src.read(512)
            size = path.stat().st_size
            tail = b""
            if size >= 512:
                src.seek(size - 512)
                tail = src.read(512)
    except OSError as exc:
        raise ImageError(f"cannot read the image ({exc.strerror})", subject=str(path)) from None
    if head[:4] == QCOW2_MAGIC:
        return _qcow2(head)
    if head[:8] == b"vhdxfile":
        return DataFormat("vhdx")
    if head[:8] == b"conectix" or tail[:8] == b"conectix":
        return DataFormat("vpc")
    if head[:4] == b"KDMV":
        return DataFormat("vmdk")
    if head[:4] == b"<<< " and b"VirtualBox" in head[:64]:
        return DataFormat("vdi")
    return DataFormat("raw")


def _qcow2(head: bytes) -> DataFormat:
    version, backing_offset = struct.unpack_from(">IQ", head, 4)
    incompatible = struct.unpack_from(">Q", head, 72)[0] if version >= 3 else 0
    compression = "zlib"
    header_length = struct.unpack_from(">I", head, 100)[0] if version >= 3 else 72
    if version >= 3 and header_length > 104:
        compression = "zstd" if head[104] == 1 else "zlib"
    return DataFormat(
        "qcow2",
        backing_file=backing_offset != 0,
        data_file=bool(incompatible & QCOW2_INCOMPAT_DATA_FILE),
        compression=compression,
    )


def check_upload(path: Path, disk_format: str) -> DataFormat:
    """Refuse data Glance would refuse: a format other than ``disk_format``, or a qcow2 that
    needs another file to be read."""
    found = detect_format(path)
    if found.name != disk_format:
        raise ImageError(
            f"the file holds {found.name} data, not {disk_format} (Glance would refuse it)",
            subject=str(path),
            hint=f"let publish convert it (publish.disk_format = {disk_format!r} converts with "
            "qemu-img) or fix publish.disk_format",
        )
    if found.backing_file or found.data_file:
        what = "a backing file" if found.backing_file else "an external data file"
        raise ImageError(
            f"the qcow2 image refers to {what} (Glance refuses such images)",
            subject=str(path),
            hint="flatten it: qemu-img convert -O qcow2 IN OUT",
        )
    return found


def needs_conversion(found: DataFormat, disk_format: str, compression: str) -> bool:
    if found.name != disk_format or found.backing_file or found.data_file:
        return True
    return compression == "zstd" and found.compression != "zstd"


def convert_argv(src: Path, dst: Path, disk_format: str, compression: str) -> list[str]:
    """The qemu-img command line; ``compression = zstd`` writes compressed qcow2 clusters."""
    argv = ["qemu-img", "convert", "-q", "-O", disk_format]
    if compression == "zstd":
        if disk_format != "qcow2":
            raise ImageError(
                "zstd compression needs disk_format = 'qcow2'",
                subject="publish.compression",
                hint="set publish.compression = 'none' or publish.disk_format = 'qcow2'",
            )
        argv += ["-c", "-o", "compression_type=zstd"]
    return [*argv, str(src), str(dst)]


def convert(processes: Processes, src: Path, dst: Path, disk_format: str, compression: str) -> None:
    argv = convert_argv(src, dst, disk_format, compression)
    try:
        done = processes.run(argv, timeout=CONVERT_TIMEOUT)
    except PlatformError as exc:
        raise ImageError(
            f"qemu-img could not run ({exc.message})",
            subject=str(src),
            hint="install qemu-utils (Debian) or qemu-img",
        ) from None
    if done.exit_code != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()
        raise ImageError(
            f"qemu-img convert failed ({detail[-1] if detail else f'exit {done.exit_code}'})",
            subject=str(src),
            hint="check the image with qemu-img check and the free space next to it",
        )
