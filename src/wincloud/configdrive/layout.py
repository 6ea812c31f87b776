"""What a drive may hold, shared by the writers and readers: formats, limits, the file tree."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from wincloud.errors import DriveError

log = logging.getLogger(__name__)


class DriveFormat(StrEnum):
    ISO = "iso"
    VFAT = "vfat"


DEFAULT_LABEL: Final = "config-2"
MAX_DRIVE_BYTES: Final = 64 * 1024 * 1024
"""Total content a drive may carry (Nova's own VFAT drives are 64 MiB)."""
MAX_FILES: Final = 4096
MAX_NAME_CHARS: Final = 64
"""Joliet's limit for one path component."""
MAX_PATH_CHARS: Final = 120
"""Joliet's limit for a whole path (240 bytes of UCS-2)."""
MAX_DEPTH: Final = 8
"""ISO 9660 allows eight directory levels, the root included."""
FIXED_EPOCH: Final = 315532800
"""1980-01-01T00:00:00Z: every timestamp on a drive, so builds are byte-for-byte repeatable."""

_FORBIDDEN: Final = frozenset('\\/:*?"<>|;')
_LABEL_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass
class Folder:
    """A directory of the drive: sub-folders and files by name (entries iterate sorted)."""

    folders: dict[str, Folder] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], *, subject: str) -> Folder:
        """Check every path and the total size, and nest the map into folders."""
        if not files:
            raise DriveError("nothing to put on the drive", subject=subject)
        if len(files) > MAX_FILES:
            raise DriveError(f"{len(files)} files, over the limit of {MAX_FILES}", subject=subject)
        check_total_size(files, subject=subject)
        root = cls()
        seen: dict[str, str] = {}
        for path in sorted(files):
            parts = _split_path(path)
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                other = seen.setdefault(prefix.casefold(), prefix)
                if other != prefix:
                    raise DriveError(
                        f"names differ only in case ({other!r} and {prefix!r}); "
                        "FAT and Joliet cannot hold both",
                        subject=path,
                    )
            folder = root
            for name in parts[:-1]:
                if name in folder.files:
                    raise DriveError("a path is both a file and a directory", subject=path)
                folder = folder.folders.setdefault(name, cls())
            if parts[-1] in folder.folders:
                raise DriveError("a path is both a file and a directory", subject=path)
            folder.files[parts[-1]] = bytes(files[path])
        return root

    def entries(self) -> Iterator[tuple[str, Folder | bytes]]:
        """Folders and files of this folder, sorted by name."""
        merged: dict[str, Folder | bytes] = {**self.folders, **self.files}
        for name in sorted(merged):
            yield name, merged[name]

    def walk(self, prefix: str = "") -> Iterator[tuple[str, Folder]]:
        """Yield (path, folder) for this folder and every folder below it, pre-order, sorted."""
        yield prefix, self
        for name in sorted(self.folders):
            yield from self.folders[name].walk(f"{prefix}{name}/")


def check_total_size(files: Mapping[str, bytes], *, subject: str) -> None:
    total = sum(len(data) for data in files.values())
    if total > MAX_DRIVE_BYTES:
        largest = max(files, key=lambda p: len(files[p]))
        raise DriveError(
            f"drive content is {total} bytes, over the {MAX_DRIVE_BYTES}-byte limit "
            f"(largest file {largest}, {len(files[largest])} bytes)",
            subject=subject,
            hint="config drives carry metadata, not payloads: fetch large files from elsewhere",
        )


def check_label(label: str) -> str:
    """A volume label both FAT (11 bytes) and ISO 9660 (32) can carry."""
    if not 1 <= len(label) <= 11 or not set(label) <= _LABEL_CHARS:
        raise DriveError(
            "invalid volume label",
            subject=repr(label),
            hint="use 1 to 11 characters from A-Z, a-z, 0-9, '-' and '_' (default config-2)",
        )
    return label


def content_digest(files: Mapping[str, bytes], label: str) -> bytes:
    """A hash of everything on the drive: seeds the serial numbers of a build."""
    digest = hashlib.sha256(label.encode())
    for path in sorted(files):
        data = files[path]
        digest.update(f"\0{path}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.digest()


def _split_path(path: str) -> list[str]:
    if not isinstance(path, str) or not path:
        raise DriveError("empty or non-text path in the drive's file map", subject=repr(path))
    if len(path) > MAX_PATH_CHARS:
        raise DriveError(f"path longer than {MAX_PATH_CHARS} characters", subject=path)
    if path.startswith("/") or "\\" in path:
        raise DriveError("paths on a drive are relative and use '/'", subject=path)
    parts = path.split("/")
    if len(parts) > MAX_DEPTH:
        raise DriveError(f"path deeper than {MAX_DEPTH} levels", subject=path)
    for name in parts:
        _check_name(name, path)
    return parts


def _check_name(name: str, path: str) -> None:
    if name in {"", ".", ".."}:
        raise DriveError("empty, '.' or '..' component in path", subject=path)
    if len(name) > MAX_NAME_CHARS:
        raise DriveError(f"name longer than {MAX_NAME_CHARS} characters", subject=path)
    if name != name.strip(" ") or name.endswith("."):
        raise DriveError("name starts or ends with a space, or ends with '.'", subject=path)
    for char in name:
        if char in _FORBIDDEN or ord(char) < 0x20 or ord(char) == 0x7F or ord(char) > 0xFFFF:
            raise DriveError(f"character {char!r} cannot be stored on FAT and Joliet", subject=path)
