"""The fake host's volume: Windows paths (case-insensitive, ``/`` = ``\\``), files and
directories in memory. A file holds bytes, or a virtual-disk record when New-VHD made it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from wincloud.hyperv.host import VhdFormat, VhdType


def norm(path: str) -> str:
    """Display form: backslashes, no trailing separator (except a drive root ``C:\\``)."""
    p = path.replace("/", "\\")
    while p.endswith("\\") and len(p) > 3:
        p = p[:-1]
    return p


def key(path: str) -> str:
    return norm(path).rstrip("\\").casefold()


def parent_key(path_key: str) -> str | None:
    head, sep, _ = path_key.rpartition("\\")
    return head if sep and head else None


def basename(path: str) -> str:
    return norm(path).rstrip("\\").rpartition("\\")[2]


@dataclass
class VhdRecord:
    format: VhdFormat
    vhd_type: VhdType
    size_bytes: int
    file_size_bytes: int
    parent_key: str | None = None
    valid: bool = True  # False once merged into an ancestor (Merge-VHD leaves the file)


@dataclass
class FakeFile:
    path: str
    data: bytearray = field(default_factory=bytearray)
    vhd: VhdRecord | None = None
    modified_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def size(self) -> int:
        return self.vhd.file_size_bytes if self.vhd is not None else len(self.data)


@dataclass
class FakeVolume:
    """One volume: ``dirs`` maps key -> display path; ``files`` key -> FakeFile."""

    capacity_bytes: int
    dirs: dict[str, str] = field(default_factory=dict)
    files: dict[str, FakeFile] = field(default_factory=dict)

    def used_bytes(self) -> int:
        return sum(f.size for f in self.files.values())

    def free_bytes(self) -> int:
        return max(0, self.capacity_bytes - self.used_bytes())

    def is_dir(self, path: str) -> bool:
        k = key(path)
        return k in self.dirs or (len(k) == 2 and k.endswith(":"))

    def make_dirs(self, path: str) -> None:
        parts = norm(path).rstrip("\\").split("\\")
        for i in range(1, len(parts) + 1):
            display = "\\".join(parts[:i])
            k = display.casefold()
            if len(k) == 2 and k.endswith(":"):
                continue
            self.dirs.setdefault(k, display)

    def below(self, path: str) -> list[str]:
        """Keys of the files at or below ``path``."""
        k = key(path)
        return [f for f in self.files if f == k or f.startswith(k + "\\")]
