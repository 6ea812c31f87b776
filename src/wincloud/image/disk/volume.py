"""What the image code sees of a disk: file systems holding Windows-style paths.

``Volume`` is one mounted file system; paths are relative to its root, use ``\\`` or ``/`` and
compare case-insensitively (as on NTFS and FAT under Windows). ``Disk`` is a whole image: its
partition table and its file systems. ``GuestfsDisk`` (libguestfs, in ``_tools``) is the real
one; ``DirVolume``/``DirDisk`` are local directories, for tests and for trees already unpacked.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol


def parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p and p != "."]


class Volume(Protocol):
    where: str
    """Where the volume is, for messages (image and device, or a directory)."""

    def find(self, path: str) -> str | None:
        """The path as spelled on the volume, or None when it does not exist."""
        ...

    def is_dir(self, path: str) -> bool: ...

    def listdir(self, path: str) -> list[str]:
        """Names in a directory (empty when it does not exist)."""
        ...

    def read(self, path: str) -> bytes | None:
        """A file's bytes; None when it does not exist."""
        ...

    def download(self, path: str, local: Path) -> None:
        """Copy a file that exists out to ``local``."""
        ...

    def upload(self, local: Path, path: str) -> None:
        """Copy ``local`` to ``path`` (parents created; an existing file of any case replaced)."""
        ...

    def write(self, path: str, data: bytes) -> None: ...

    def free_bytes(self) -> int | None:
        """Bytes free for new files; None when unknown."""
        ...


class Disk(Protocol):
    where: str

    def partition_table(self) -> str | None:
        """``gpt``, ``mbr`` or None."""
        ...

    def filesystems(self) -> Mapping[str, str]:
        """Device -> file system type (``ntfs``, ``vfat``, ...), in disk order."""
        ...

    def mount(self, device: str, *, write: bool = False) -> AbstractContextManager[Volume]: ...


class DirVolume:
    """A local directory as a volume, with case-insensitive lookups like NTFS under Windows."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _resolve(self, path: str) -> Path | None:
        current = self.root
        for name in parts(path):
            exact = current / name
            if exact.exists():
                current = exact
                continue
            if not current.is_dir():
                return None
            lowered = name.lower()
            match = next((p for p in current.iterdir() if p.name.lower() == lowered), None)
            if match is None:
                return None
            current = match
        return current

    def find(self, path: str) -> str | None:
        found = self._resolve(path)
        return None if found is None else "/" + found.relative_to(self.root).as_posix()

    def is_dir(self, path: str) -> bool:
        found = self._resolve(path)
        return found is not None and found.is_dir()

    def listdir(self, path: str) -> list[str]:
        found = self._resolve(path)
        if found is None or not found.is_dir():
            return []
        return sorted(p.name for p in found.iterdir())

    def read(self, path: str) -> bytes | None:
        found = self._resolve(path)
        return found.read_bytes() if found is not None and found.is_file() else None

    def download(self, path: str, local: Path) -> None:
        found = self._resolve(path)
        if found is None:
            raise FileNotFoundError(path)
        shutil.copyfile(found, local)

    def _target(self, path: str) -> Path:
        names = parts(path)
        parent = self.root
        for name in names[:-1]:
            existing = self._resolve((parent / name).relative_to(self.root).as_posix())
            parent = existing if existing is not None else parent / name
            parent.mkdir(exist_ok=True)
        existing = self._resolve((parent / names[-1]).relative_to(self.root).as_posix())
        return existing if existing is not None else parent / names[-1]

    def upload(self, local: Path, path: str) -> None:
        target = self._target(path)
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(local, tmp)
        os.replace(tmp, target)

    def write(self, path: str, data: bytes) -> None:
        target = self._target(path)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def free_bytes(self) -> int | None:
        return shutil.disk_usage(self.root).free


class DirDisk:
    """A disk whose file systems are local directories (tests): device -> (fstype, root)."""

    def __init__(self, volumes: Mapping[str, tuple[str, Path]], *, table: str | None) -> None:
        self.volumes = dict(volumes)
        self.table = table
        self.where = "dir-disk"

    def partition_table(self) -> str | None:
        return self.table

    def filesystems(self) -> Mapping[str, str]:
        return {device: fstype for device, (fstype, _) in self.volumes.items()}

    @contextmanager
    def mount(self, device: str, *, write: bool = False) -> Iterator[Volume]:
        yield DirVolume(self.volumes[device][1])
