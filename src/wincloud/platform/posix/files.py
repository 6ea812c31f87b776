"""PosixFiles: guest paths under the root; atomic writes with mode and owner."""

from __future__ import annotations

import stat as statmod

from wincloud.errors import PlatformError
from wincloud.platform.base import FileInfo
from wincloud.platform.posix._root import Root, os_error


class PosixFiles:
    def __init__(self, root: Root) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        host = self.root.host(path)
        try:
            return host.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error("read", exc, path) from None

    def list_dir(self, path: str) -> list[str] | None:
        host = self.root.host(path)
        try:
            entries = list(host.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise os_error("list", exc, path) from None
        return sorted(e.name + "/" if e.is_dir() else e.name for e in entries)

    def write(self, path: str, data: bytes, *, mode: int = 0o644, owner: str | None = None) -> None:
        host = self.root.host(path)
        if host.is_dir():
            raise PlatformError("is a directory", operation="write", subject=path)
        self.root.write_atomic(host, data, mode=mode, owner=owner)

    def make_dir(self, path: str, *, mode: int = 0o755, owner: str | None = None) -> None:
        self.root.make_dirs(self.root.host(path), mode=mode, owner=owner)

    def stat(self, path: str) -> FileInfo | None:
        host = self.root.host(path)
        try:
            st = host.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error("stat", exc, path) from None
        return FileInfo(
            mode=statmod.S_IMODE(st.st_mode),
            owner=self.root.owner_name(st.st_uid),
            size=st.st_size,
            is_dir=statmod.S_ISDIR(st.st_mode),
        )

    def remove(self, path: str) -> bool:
        host = self.root.host(path, follow=False)
        try:
            host.unlink()
        except FileNotFoundError:
            return False
        except IsADirectoryError:
            raise PlatformError("is a directory", operation="remove", subject=path) from None
        except OSError as exc:
            raise os_error("remove", exc, path) from None
        return True
