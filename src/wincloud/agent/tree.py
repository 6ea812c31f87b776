"""How a source sees a metadata tree, whatever carries it: HTTP, a directory, a drive image,
a dict. ``read`` gives None for an absent path; transport failures are SourceUnavailable."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Final, Protocol

from wincloud.agent import http
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable, WincloudError

if TYPE_CHECKING:
    import httpx

    from wincloud.platform import Files

DriveReader = Callable[[Path], Mapping[str, bytes]]
MAX_FILE: Final = 64 * 1024 * 1024
"""One file of a directory tree (a mounted drive): what a drive image may hold in all."""


class Tree(Protocol):
    where: str
    """URL or device/path: goes into every message."""

    def read(self, path: str) -> bytes | None: ...

    def children(self, path: str) -> list[str]:
        """EC2-style listing of a directory (sub-directories end with '/'); [] when absent."""
        ...


def _clean(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if any(p in {".", ".."} for p in parts):
        raise SourceUnavailable("refusing a path with '.' or '..'", subject=path)
    return "/".join(parts)


def split_listing(body: bytes | None) -> list[str]:
    if body is None:
        return []
    return [line.strip() for line in body.decode("utf-8", "replace").splitlines() if line.strip()]


class MemoryTree:
    """A dict of ``relative/path -> bytes``: what ``render_drive`` returns, or a drive's files.
    A path that is also a prefix of others is a directory; its own value, if any, is its
    listing (as in ``render_http``)."""

    def __init__(self, files: Mapping[str, bytes], *, where: str = "memory") -> None:
        self.files = {_clean(k): v for k, v in files.items()}
        self.where = where

    def read(self, path: str) -> bytes | None:
        return self.files.get(_clean(path))

    def children(self, path: str) -> list[str]:
        key = _clean(path)
        prefix = f"{key}/" if key else ""
        names: dict[str, None] = {}
        for other in sorted(self.files):
            if other.startswith(prefix) and other != key:
                head, sep, _ = other[len(prefix) :].partition("/")
                names[head + sep] = None
        if names and key in self.files:
            return split_listing(self.files[key])
        return list(names)


class DirTree:
    """A directory on the local file system (an extracted or mounted drive, a seed dir)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root)

    def _path(self, path: str) -> Path:
        return self.root.joinpath(*PurePosixPath(_clean(path)).parts)

    def read(self, path: str) -> bytes | None:
        """The file's bytes; InvalidMetadata past ``MAX_FILE`` (a hostile CD's huge file is
        never read into memory whole)."""
        target = self._path(path)
        try:
            if not target.is_file():
                return None
            with target.open("rb") as handle:
                data = handle.read(MAX_FILE + 1)
        except OSError as exc:
            raise SourceUnavailable(f"cannot read ({exc.strerror})", subject=str(target)) from None
        if len(data) > MAX_FILE:
            raise InvalidMetadata(f"larger than {MAX_FILE} bytes", subject=str(target))
        return data

    def children(self, path: str) -> list[str]:
        target = self._path(path)
        try:
            entries = sorted(target.iterdir()) if target.is_dir() else []
        except OSError as exc:
            raise SourceUnavailable(f"cannot list ({exc.strerror})", subject=str(target)) from None
        return [e.name + "/" if e.is_dir() else e.name for e in entries]


class FilesTree:
    """A guest directory read through the platform (a NoCloud seed directory)."""

    def __init__(self, files: Files, base: str) -> None:
        self.files = files
        self.base = base.rstrip("/\\")
        self.where = base

    def read(self, path: str) -> bytes | None:
        try:
            return self.files.read(f"{self.base}/{_clean(path)}")
        except PlatformError as exc:
            raise SourceUnavailable(f"cannot read ({exc.message})", subject=self.where) from None

    def children(self, path: str) -> list[str]:
        try:
            return self.files.list_dir(f"{self.base}/{_clean(path)}".rstrip("/")) or []
        except PlatformError as exc:
            raise SourceUnavailable(f"cannot list ({exc.message})", subject=self.where) from None


class DriveTree:
    """An ISO 9660 or VFAT image or device, read whole on first use without mounting it."""

    def __init__(self, device: Path, *, reader: DriveReader | None = None) -> None:
        self.device = device
        self.where = str(device)
        self._reader = reader
        self._tree: MemoryTree | None = None

    def _load(self) -> MemoryTree:
        if self._tree is None:
            reader = self._reader or _default_reader
            try:
                files = reader(self.device)
            except WincloudError as exc:
                raise SourceUnavailable(
                    f"unreadable drive ({exc.message})", subject=self.where
                ) from None
            except OSError as exc:
                raise SourceUnavailable(
                    f"unreadable drive ({exc.strerror})", subject=self.where
                ) from None
            self._tree = MemoryTree(files, where=self.where)
        return self._tree

    def read(self, path: str) -> bytes | None:
        return self._load().read(path)

    def children(self, path: str) -> list[str]:
        return self._load().children(path)


def _default_reader(device: Path) -> Mapping[str, bytes]:
    from wincloud.configdrive import read_drive

    return read_drive(device, label=None)


class HttpTree:
    """A metadata service over HTTP: ``base_url`` + path; 404 is absent."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.where = self.base_url

    def url(self, path: str) -> str:
        return f"{self.base_url}/{_clean(path)}"

    def read(self, path: str) -> bytes | None:
        return http.get(self.client, self.url(path), timeout=self.timeout, headers=self.headers)

    def children(self, path: str) -> list[str]:
        return split_listing(self.read(_clean(path) + "/"))
