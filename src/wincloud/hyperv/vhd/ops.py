"""What operators and the Nova driver do with disks: create, make differencing children,
convert and flatten, write from a raw stream, resize, inspect and check.

Every operation that produces a file writes ``.<name>.<pid>.tmp`` next to it and renames it
into place when complete, so a failure never leaves a partial disk behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wincloud.hyperv.vhd.chain import is_windows_absolute, open_disk
from wincloud.hyperv.vhd.error import VhdError
from wincloud.hyperv.vhd.image import DiskImage, RawImage
from wincloud.hyperv.vhd.vhd_image import DEFAULT_BLOCK as VHD_BLOCK
from wincloud.hyperv.vhd.vhd_image import VhdImage, VhdParent
from wincloud.hyperv.vhd.vhdx_create import VhdxParent, create_vhdx, resize_vhdx
from wincloud.hyperv.vhd.vhdx_image import VhdxImage

FORMATS = ("vhdx", "vhd", "raw")
TYPES = ("dynamic", "fixed")
_COPY_CHUNK = 32 * 1024 * 1024

Progress = Callable[[int, int], None]


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path next to ``target``, renamed onto it when the block succeeds."""
    if target.exists():
        raise VhdError(
            "the output file already exists",
            subject=str(target),
            hint="remove it or choose another name",
        )
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    try:
        yield temp
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def format_for(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise VhdError(f"unknown disk format {fmt!r}", subject=str(path))
        return fmt
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in ("vhd", "vhdx") else "raw"


def new_image(
    path: Path, size: int, *, fmt: str, kind: str = "dynamic", block_size: int | None = None
) -> DiskImage:
    """A new empty disk open for writing (no temp file: see ``create_disk``)."""
    if kind not in TYPES:
        raise VhdError(f"unknown disk type {kind!r} (dynamic or fixed)", subject=str(path))
    if fmt == "vhdx":
        return create_vhdx(path, size, fixed=kind == "fixed", block_size=block_size)
    if fmt == "vhd":
        return VhdImage.create(path, size, kind=kind, block_size=block_size or VHD_BLOCK)
    return RawImage.create(path, size)


def create_disk(
    path: Path, size: int, *, fmt: str | None = None, kind: str = "dynamic",
    block_size: int | None = None,
) -> None:  # fmt: skip
    """An empty disk at ``path``; the format comes from ``fmt`` or the file suffix."""
    with atomic_path(path) as temp:
        new_image(temp, size, fmt=format_for(path, fmt), kind=kind, block_size=block_size).close()


def _windows_relpath(parent: Path, child: Path) -> str:
    rel = os.path.relpath(parent.resolve(), child.resolve().parent)
    return rel.replace("/", "\\")


def create_differencing(
    parent: Path,
    child: Path,
    *,
    parent_path_for_locator: str | None = None,
    block_size: int | None = None,
) -> None:
    """A differencing child over ``parent`` (same format, same size, empty).

    The locator's relative path is computed from the two local paths; ``parent_path_for_locator``
    is the parent's path as the host that opens the child sees it: an absolute Windows path
    (``C:\\...``, ``\\\\server\\share\\...``) goes into absolute_win32_path, a relative one
    replaces the computed relative path.
    """
    relative, absolute = _windows_relpath(parent, child), ""
    if parent_path_for_locator:
        if is_windows_absolute(parent_path_for_locator):
            absolute = parent_path_for_locator
        else:
            relative = parent_path_for_locator
    with open_disk(parent) as base, atomic_path(child) as temp:
        size = base.virtual_size
        image: DiskImage
        if isinstance(base, VhdxImage):
            link = VhdxParent(base.header.data_write_guid, relative, absolute)
            image = create_vhdx(
                temp, size, block_size=block_size, parent=link,
                logical_sector_size=base.logical_sector_size,
                physical_sector_size=base.physical_sector_size,
            )  # fmt: skip
        elif isinstance(base, VhdImage):
            vlink = VhdParent(base.footer.unique_id, base.footer.timestamp, relative, absolute)
            block = block_size or VHD_BLOCK
            image = VhdImage.create(temp, size, kind="differencing", block_size=block, parent=vlink)
        else:
            raise VhdError("a differencing disk needs a VHD or VHDX parent", subject=str(parent))
        image.close()


@dataclass
class CopyResult:
    virtual_size: int
    bytes_written: int  # data bytes stored in the output (all-zero ranges are skipped)
    seconds: float


def _is_zero(data: bytes, zero: bytes) -> bool:
    """Whether ``data`` is all zero bytes (``zero``: a zero buffer at least as long)."""
    return data == zero if len(data) == len(zero) else data == zero[: len(data)]


def _copy(src: DiskImage, dst: DiskImage, skip_zero: bool, progress: Progress | None) -> int:
    written, step = 0, max(_COPY_CHUNK, dst.block_size)
    zero = bytes(step)
    for offset in range(0, src.virtual_size, step):
        count = min(step, src.virtual_size - offset)
        if not src.is_allocated(offset, count):
            continue
        data = src.read(offset, count)
        piece = dst.block_size or count
        for at in range(0, count, piece):  # all-zero blocks stay unallocated
            part = data[at : at + piece]
            if skip_zero and _is_zero(part, zero):
                continue
            dst.write(offset + at, part)
            written += len(part)
        if progress is not None:
            progress(offset + count, src.virtual_size)
    return written


def convert(
    source: Path,
    target: Path,
    *,
    fmt: str | None = None,
    kind: str = "dynamic",
    block_size: int | None = None,
    progress: Progress | None = None,
) -> CopyResult:
    """Copy ``source`` (any format; a differencing chain is flattened) into a new standalone
    disk ``target``. All-zero ranges are left unallocated unless the output is fixed."""
    started = time.monotonic()
    out_fmt = format_for(target, fmt)
    with open_disk(source) as src, atomic_path(target) as temp:
        size = src.virtual_size
        if out_fmt != "raw" and size % 512:
            size += 512 - size % 512
        dst = new_image(temp, size, fmt=out_fmt, kind=kind, block_size=block_size)
        with dst:
            written = _copy(src, dst, True, progress)
            os.fsync(dst._fd)
    return CopyResult(src.virtual_size, written, time.monotonic() - started)


def write_from_stream(
    target: Path,
    chunks: Iterable[bytes],
    *,
    size: int,
    fmt: str | None = None,
    kind: str = "dynamic",
    block_size: int | None = None,
    progress: Progress | None = None,
) -> CopyResult:
    """A new disk whose contents are the raw bytes of ``chunks`` (exactly ``size`` of them)."""
    started = time.monotonic()
    out_fmt = format_for(target, fmt)
    with atomic_path(target) as temp:
        dst = new_image(temp, size, fmt=out_fmt, kind=kind, block_size=block_size)
        with dst:
            written = _fill(dst, chunks, size, str(target), progress)
            os.fsync(dst._fd)
    return CopyResult(size, written, time.monotonic() - started)


def _fill(
    dst: DiskImage, chunks: Iterable[bytes], size: int, subject: str, progress: Progress | None
) -> int:
    """Stream ``chunks`` into ``dst`` one block at a time; all-zero blocks are skipped."""
    step = min(max(dst.block_size, 1024 * 1024), size)
    zero, block = bytes(step), bytearray(step)
    view = memoryview(block)
    written = received = filled = 0
    for chunk in chunks:
        if received + len(chunk) > size:
            raise VhdError(f"the stream is longer than {size} bytes", subject=subject)
        taken = 0
        while taken < len(chunk):
            count = min(step - filled, len(chunk) - taken)
            view[filled : filled + count] = chunk[taken : taken + count]
            filled, taken = filled + count, taken + count
            received += count
            if filled == step or received == size:
                is_zero = block == zero if filled == step else block[:filled] == zero[:filled]
                if not is_zero:
                    dst.write(received - filled, view[:filled])
                    written += filled
                filled = 0
        if progress is not None:
            progress(received, size)
    if received != size:
        raise VhdError(f"the stream ended after {received} of {size} bytes", subject=subject)
    return written


def resize(path: Path, size: int) -> None:
    """Grow a disk; shrink only when the cut-off tail holds no data (never a differencing one)."""
    with open_disk(path, writable=True) as disk:
        if size == disk.virtual_size:
            return
        if size < disk.virtual_size:
            if disk.kind == "differencing":
                raise VhdError("a differencing disk cannot be shrunk", subject=str(path))
            for offset in range(size, disk.virtual_size, _COPY_CHUNK):
                count = min(_COPY_CHUNK, disk.virtual_size - offset)
                if disk.is_allocated(offset, count) and any(disk.read(offset, count)):
                    raise VhdError(
                        f"cannot shrink to {size} bytes: data lies beyond it (at {offset}+)",
                        subject=str(path),
                        hint="shrink the partitions inside the disk first",
                    )
        if isinstance(disk, VhdxImage):
            resize_vhdx(disk, size)
        elif isinstance(disk, VhdImage):
            disk.resize(size)
        else:
            os.truncate(path, size)
            disk.virtual_size = size


@dataclass
class DiskInfo:
    path: str
    format: str
    type: str
    virtual_size: int
    file_size: int
    block_size: int
    logical_sector_size: int
    physical_sector_size: int
    details: dict[str, object] = field(default_factory=dict)
    parent: DiskInfo | None = None
    linkage: str = ""  # "ok", "mismatch: ..." or "parent not found: ..." for differencing disks
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        out = dict(self.__dict__)
        out["parent"] = self.parent.to_dict() if self.parent else None
        return out


def _info(disk: DiskImage) -> DiskInfo:
    return DiskInfo(
        path=str(disk.path), format=disk.format, type=disk.kind,
        virtual_size=disk.virtual_size, file_size=disk.file_size(), block_size=disk.block_size,
        logical_sector_size=disk.logical_sector_size,
        physical_sector_size=disk.physical_sector_size, details=disk.describe(),
        problems=disk.problems(),
    )  # fmt: skip


def inspect(path: Path) -> DiskInfo:
    """The disk and its chain as far as it can be followed; linkage reported, not enforced."""
    with open_disk(path, parents=False) as top:
        root = _info(top)
    node, info = path, root
    for _ in range(16):
        if info.type != "differencing":
            break
        try:
            with open_disk(node, check_linkage=False) as disk:
                parent = disk.parent
                assert parent is not None
                problem = disk.linkage_problem(parent)
                info.linkage = f"mismatch: {problem}" if problem else "ok"
                info.parent = _info(parent)
                node, info = parent.path, info.parent
        except VhdError as exc:
            info.linkage = f"parent not found: {exc}" if "parent" in exc.message else str(exc)
            break
    return root


def check(path: Path) -> list[str]:
    """Every structural and linkage problem of the disk and its chain (empty when sound)."""
    info: DiskInfo | None = inspect(path)
    found: list[str] = []
    while info is not None:
        found += [f"{info.path}: {problem}" for problem in info.problems]
        if info.linkage and info.linkage != "ok":
            found.append(f"{info.path}: {info.linkage}")
        info = info.parent
    return found
