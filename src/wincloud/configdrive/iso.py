"""ISO 9660 drives (Rock Ridge 1.09 + Joliet) through pycdlib: write deterministically, read back.

pycdlib stamps the wall clock (in local time) into volume descriptors, directory records and
Rock Ridge TF entries, and offers no parameter for it. While a drive is written, the ``time``
name inside pycdlib's modules is swapped for a frozen UTC clock set to ``FIXED_EPOCH``; a lock
keeps concurrent builds from interleaving the swap. Reading never consults the clock.
"""

from __future__ import annotations

import contextlib
import io
import logging
import struct
import sys
import threading
import time as _time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, BinaryIO, Final

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException

from wincloud.configdrive.iso_scan import scan_iso
from wincloud.configdrive.layout import FIXED_EPOCH, MAX_DRIVE_BYTES, MAX_FILES, Folder
from wincloud.errors import DriveError

log = logging.getLogger(__name__)

ISO_MAGIC: Final = b"CD001"
_D_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_MAX_FILE_IDENT: Final = 30
_MAX_DIR_IDENT: Final = 31
_CLOCK_LOCK: Final = threading.Lock()
_ISO_ERRORS: Final = (PyCdlibException, ValueError, IndexError, KeyError, struct.error)


def write_iso(root: Folder, out: BinaryIO, *, label: str, subject: str) -> None:
    """Write ``root`` as an ISO 9660 level 3 image with Rock Ridge and Joliet names."""
    with _frozen_clock():
        iso = pycdlib.PyCdlib()
        iso.new(
            interchange_level=3,
            sys_ident="LINUX",
            vol_ident=label,
            app_ident_str="wincloud",
            rock_ridge="1.09",
            joliet=3,
        )
        try:
            _add_folder(iso, root, "", "")
            iso.write_fp(out)
        except _ISO_ERRORS as exc:
            raise DriveError(f"cannot lay out the ISO 9660 image ({exc})", subject=subject) from exc
        finally:
            iso.close()


def read_iso(image: BinaryIO, *, subject: str) -> tuple[str | None, dict[str, bytes]]:
    """Return (volume label, files) of an ISO image; names from Rock Ridge, else Joliet."""
    label = read_iso_label(image)
    scan_iso(image, subject=subject)
    image.seek(0)
    iso = pycdlib.PyCdlib()
    try:
        iso.open_fp(image)
    except DriveError:
        raise
    except Exception as exc:
        raise DriveError(f"unreadable ISO 9660 image ({_why(exc)})", subject=subject) from exc
    try:
        _check_size(iso, image, subject)
        files = _read_files(iso, subject)
    except DriveError:
        raise
    except Exception as exc:
        raise DriveError(f"damaged ISO 9660 image ({_why(exc)})", subject=subject) from exc
    finally:
        with contextlib.suppress(Exception):
            iso.close()
    return label, files


def _why(exc: Exception) -> str:
    """One line: pycdlib's message, or the exception's type for a crash inside pycdlib (an
    AttributeError on a damaged Rock Ridge entry, say)."""
    text = " ".join(str(exc).split())[:160]
    if isinstance(exc, _ISO_ERRORS) and text:
        return text
    return f"{exc.__class__.__name__}: {text}" if text else exc.__class__.__name__


def read_iso_label(image: BinaryIO) -> str | None:
    """The volume identifier, read straight from the descriptors: the primary one, else the
    Joliet one."""
    primary = joliet = ""
    for sector in range(16, 48):
        image.seek(sector * 2048)
        descriptor = image.read(2048)
        if len(descriptor) < 2048 or descriptor[1:6] != ISO_MAGIC or descriptor[0] == 255:
            break
        if descriptor[0] == 1:
            primary = descriptor[40:72].decode("ascii", "replace")
        elif descriptor[0] == 2 and descriptor[88:90] == b"%/" and descriptor[90] in b"@CE":
            joliet = descriptor[40:72].decode("utf-16-be", "replace")
    return primary.rstrip(" \0") or joliet.rstrip(" \0") or None


def iso_identifier(name: str, *, is_dir: bool, taken: set[str]) -> str:
    """A unique ISO 9660 level 3 identifier (d-characters) for ``name`` within one directory."""
    upper = "".join(c if c in _D_CHARS or c == "." else "_" for c in name.upper())
    if is_dir:
        base, ext, limit = upper.replace(".", "_"), "", _MAX_DIR_IDENT
    else:
        stem, dot, ext = upper.rpartition(".")
        base, ext = (stem, ext[:8]) if dot else (ext, "")
        base, limit = base.replace(".", "_") or "_", _MAX_FILE_IDENT - len(ext)
    candidate, counter = base[:limit], 0
    while f"{candidate}.{ext}" in taken:
        counter += 1
        suffix = f"_{counter}"
        candidate = base[: limit - len(suffix)] + suffix
    taken.add(f"{candidate}.{ext}")
    return candidate if is_dir else f"{candidate}.{ext}"


def _add_folder(iso: pycdlib.PyCdlib, folder: Folder, iso_dir: str, joliet_dir: str) -> None:
    taken: set[str] = set()
    for name, entry in folder.entries():
        joliet_path = f"{joliet_dir}/{name}"
        if isinstance(entry, Folder):
            ident = iso_identifier(name, is_dir=True, taken=taken)
            iso.add_directory(f"{iso_dir}/{ident}", rr_name=name, joliet_path=joliet_path)
            _add_folder(iso, entry, f"{iso_dir}/{ident}", joliet_path)
        else:
            ident = iso_identifier(name, is_dir=False, taken=taken)
            iso.add_fp(
                io.BytesIO(entry),
                len(entry),
                f"{iso_dir}/{ident};1",
                rr_name=name,
                joliet_path=joliet_path,
            )


def _check_size(iso: pycdlib.PyCdlib, image: BinaryIO, subject: str) -> None:
    if iso.pvd is None:
        raise DriveError("ISO 9660 image without a primary volume descriptor", subject=subject)
    expected = int(iso.pvd.space_size) * int(iso.pvd.logical_block_size())
    found = image.seek(0, io.SEEK_END)
    if found < expected:
        raise DriveError(
            f"truncated image: the volume is {expected} bytes, {found} found", subject=subject
        )


def _read_files(iso: pycdlib.PyCdlib, subject: str) -> dict[str, bytes]:
    kind = "rr_path" if iso.has_rock_ridge() else "joliet_path" if iso.has_joliet() else "iso_path"
    files: dict[str, bytes] = {}
    budget = MAX_DRIVE_BYTES
    for count, (iso_path, key) in enumerate(_walk(iso, kind), start=1):
        if count > MAX_FILES:
            raise DriveError(f"over {MAX_FILES} files on the drive", subject=subject)
        length = iso.get_record(**{kind: iso_path}).get_data_length()
        if length > budget:
            raise DriveError(
                f"drive content is over the {MAX_DRIVE_BYTES}-byte limit at {key}", subject=subject
            )
        budget -= length
        sink = io.BytesIO()
        iso.get_file_from_iso_fp(sink, **{kind: iso_path})
        data = sink.getvalue()
        if len(data) != length:
            raise DriveError(
                f"truncated image: {key} has {len(data)} of {length} bytes", subject=subject
            )
        files[key] = data
    return dict(sorted(files.items()))


def _walk(iso: pycdlib.PyCdlib, kind: str) -> Iterator[tuple[str, str]]:
    """Yield (path to ask pycdlib for, drive path) for every file."""
    for dirpath, _dirs, names in iso.walk(**{kind: "/"}):
        for name in names:
            iso_path = f"{dirpath.rstrip('/')}/{name}"
            key = iso_path.lstrip("/")
            if kind == "iso_path":  # no extensions: mimic Linux's map=normal
                key = "/".join(part.split(";")[0].rstrip(".").lower() for part in key.split("/"))
            yield iso_path, key


class _FrozenClock:
    """Stands in for the ``time`` module inside pycdlib: fixed instant, UTC as local time."""

    def time(self) -> float:
        return float(FIXED_EPOCH)

    def localtime(self, secs: float | None = None) -> _time.struct_time:
        return _time.gmtime(secs)

    def __getattr__(self, name: str) -> Any:
        return getattr(_time, name)


@contextmanager
def _frozen_clock() -> Iterator[None]:
    clock = _FrozenClock()
    with _CLOCK_LOCK:
        modules = [m for m in _pycdlib_modules() if getattr(m, "time", None) is _time]
        for module in modules:
            vars(module)["time"] = clock
        try:
            yield
        finally:
            for module in modules:
                vars(module)["time"] = _time


def _pycdlib_modules() -> list[ModuleType]:
    return [
        module
        for name, module in list(sys.modules.items())
        if (name == "pycdlib" or name.startswith("pycdlib.")) and module is not None
    ]
