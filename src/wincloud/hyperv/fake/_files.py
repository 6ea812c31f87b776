"""Files on the fake host's volume (Test-Path, Remove-Item, New-Item, Get-ChildItem, file
streams, Copy-Item); the virtual-disk half is ``_storage.py``."""

from __future__ import annotations

from collections.abc import Iterable

from wincloud.errors import HostObjectExists, HostObjectNotFound, HostOperationFailed, PathInUse
from wincloud.hyperv.fake._fs import FakeFile, VhdRecord, basename, key, norm
from wincloud.hyperv.fake._storage import FakeStorage
from wincloud.hyperv.host import DirEntry


class FakeFiles(FakeStorage):
    def file_exists(self, path: str) -> bool:
        k = key(path)
        return k in self._volume.files or self._volume.is_dir(path)

    def remove_path(self, path: str) -> None:
        cmdlet = "Remove-Item"
        self._check_not_open(path, cmdlet)
        for k in self._volume.below(path):
            f = self._volume.files[k]
            kids = [c for c in self._children(f.path) if c not in self._volume.below(path)]
            if kids:
                raise self._error(
                    PathInUse,
                    "the virtual disk is the parent of another disk",
                    cmdlet=cmdlet,
                    rule="vhd.parent-remove",
                    subject=f.path,
                    hint=f"remove {self._volume.files[kids[0]].path} first",
                )
        for k in self._volume.below(path):
            del self._volume.files[k]
        pk = key(path)
        for d in [d for d in self._volume.dirs if d == pk or d.startswith(pk + "\\")]:
            del self._volume.dirs[d]

    def make_dir(self, path: str) -> None:
        if key(path) in self._volume.files:
            raise self._error(
                HostObjectExists, "a file has that name", cmdlet="New-Item", subject=norm(path)
            )
        self._volume.make_dirs(path)

    def list_dir(self, path: str) -> list[DirEntry]:
        if not self._volume.is_dir(path):
            raise self._error(
                HostObjectNotFound, "no such directory", cmdlet="Get-ChildItem", subject=norm(path)
            )
        pk = key(path)
        entries: list[DirEntry] = []
        for k, display in self._volume.dirs.items():
            if k.rpartition("\\")[0] == pk:
                entries.append(DirEntry(basename(display), True, 0, self._clock()))
        for k, f in self._volume.files.items():
            if k.rpartition("\\")[0] == pk:
                entries.append(DirEntry(basename(f.path), False, f.size, f.modified_at))
        return sorted(entries, key=lambda e: e.name.casefold())

    def write_file(self, path: str, chunks: Iterable[bytes]) -> int:
        cmdlet = "Set-Content"
        self._check_parent_dir(path, cmdlet)
        self._check_not_open(path, cmdlet)
        if self._volume.is_dir(path):
            raise self._error(
                HostObjectExists, "a directory has that name", cmdlet=cmdlet, subject=norm(path)
            )
        old = self._volume.files.pop(key(path), None)
        data = bytearray()
        try:
            for chunk in chunks:
                self._check_space(len(data) + len(chunk), path, cmdlet)
                data += chunk
        except BaseException:
            if old is not None:
                self._volume.files[key(path)] = old
            raise
        self._volume.files[key(path)] = FakeFile(norm(path), data, modified_at=self._clock())
        return len(data)

    def read_file(self, path: str, *, max_bytes: int, offset: int = 0) -> bytes:
        f = self._file(path, "Get-Content")
        if f.vhd is not None:
            from wincloud.hyperv.fake._render import render_vhd

            rec = self._vhd_of(f, "Get-Content")
            parent = self._info(f, rec).parent_path
            data = render_vhd(rec.format, rec.vhd_type, rec.size_bytes, parent)
            if data is None:
                raise self._error(
                    HostOperationFailed,
                    "the fake does not build large fixed disks in memory",
                    cmdlet="Get-Content",
                    subject=f.path,
                    hint="write the disk with write_file to read it back",
                )
            return data[offset : offset + max(0, max_bytes)]
        return bytes(f.data[offset : offset + max(0, max_bytes)])

    def copy_file(self, src: str, dest: str) -> None:
        cmdlet = "Copy-Item"
        f = self._file(src, cmdlet)
        self._check_parent_dir(dest, cmdlet)
        self._check_not_open(dest, cmdlet)
        if key(dest) == key(src):
            raise self._error(
                HostObjectExists,
                "source and destination are the same file",
                cmdlet=cmdlet,
                subject=norm(dest),
            )
        self._check_space(f.size, dest, cmdlet)
        vhd = None
        if f.vhd is not None:
            v = f.vhd
            vhd = VhdRecord(
                v.format, v.vhd_type, v.size_bytes, v.file_size_bytes, v.parent_key, v.valid
            )
        self._volume.files[key(dest)] = FakeFile(
            norm(dest), bytearray(f.data), vhd, modified_at=self._clock()
        )
