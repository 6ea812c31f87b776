"""The SQLite file behind a store, watched while the store serves.

SQLite keeps a file open: delete it, replace it or take away its write permission and every
open connection carries on, so a write "succeeds" into a file nobody will ever read again, and
the next start would find nothing there. ``SqliteFile`` records the file's identity (device and
inode) when the store opens it and answers, before and after every write and in health checks,
whether it is still the same, present, readable and writable file.

Connections are opened with ``mode=rw`` (never ``rwc``): a connection made after the file was
deleted fails instead of creating an empty database in its place. Only ``open_repo(...,
create=True)`` creates the file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from wincloud.errors import StoreError
from wincloud.store.urls import DB_ENV

HINT_CREATE: Final = (
    "create it with `wincloud db init --db {url}` (or start the service with "
    "`wincloud metadata serve --create`), or fix the path: sqlite:///metadata.db is "
    "relative to the working directory, sqlite:////var/lib/wincloud/metadata.db is absolute"
)
HINT_RESTORE: Final = (
    "restore the file (from a backup, see docs/operations.md) or make it writable again, "
    "then restart the service if the file was replaced"
)


def missing_database(path: Path, shown: str) -> StoreError:
    where = "its directory does not exist" if not path.parent.is_dir() else "no such file"
    return StoreError(
        f"there is no SQLite database at {path} ({where})",
        subject=shown,
        hint=HINT_CREATE.format(url=shown),
    )


def create_database_file(path: Path, shown: str) -> None:
    """Create the directory (mode 0700) and an empty database file (mode 0600): records hold
    admin passwords and user data."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"cannot create the SQLite database file ({exc.strerror or exc.__class__.__name__})",
            subject=shown,
            hint=f"choose a writable location with --db or {DB_ENV}",
        ) from None


@dataclass(frozen=True)
class SqliteFile:
    """One SQLite database file as the store opened it (``path`` is absolute)."""

    path: Path
    shown: str
    device: int
    inode: int

    @classmethod
    def at(cls, path: Path, shown: str) -> SqliteFile:
        """The file at ``path``, which must exist (StoreError naming the URL otherwise)."""
        path = path.absolute()
        try:
            info = os.stat(path)
        except FileNotFoundError:
            raise missing_database(path, shown) from None
        except OSError as exc:
            raise StoreError(
                f"cannot open the SQLite database file ({exc.strerror or type(exc).__name__})",
                subject=shown,
                hint=f"check the file's directory and permissions; --db or {DB_ENV}",
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(
                f"{path} is not a regular file",
                subject=shown,
                hint=f"point --db or {DB_ENV} at a SQLite database file",
            )
        return cls(path, shown, info.st_dev, info.st_ino)

    def connect(self, timeout: float) -> sqlite3.Connection:
        """A DBAPI connection to this file that never creates it."""
        uri = f"file:{quote(str(self.path))}?mode=rw"
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    def moved(self) -> str | None:
        """Why this is no longer the file the store opened (deleted, replaced), or None."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return f"the SQLite database file {self.path} was deleted"
        except OSError as exc:
            return f"cannot check the SQLite database file {self.path} ({exc.strerror})"
        if (info.st_dev, info.st_ino) != (self.device, self.inode):
            return f"the SQLite database file {self.path} was replaced by another file"
        return None

    def problem(self) -> str | None:
        """None while the file is the one opened and is readable and writable; else why not.

        Permission bits count even for root (who may write anyway): a file nobody may write
        was made read-only on purpose.
        """
        moved = self.moved()
        if moved is not None:
            return moved
        try:
            mode = os.stat(self.path).st_mode
        except OSError as exc:  # pragma: no cover - deleted between the two stats
            return f"cannot check the SQLite database file {self.path} ({exc.strerror})"
        if not mode & 0o444 or not os.access(self.path, os.R_OK):
            return f"the SQLite database file {self.path} is not readable"
        if not mode & 0o222 or not os.access(self.path, os.W_OK):
            return f"the SQLite database file {self.path} is read-only"
        return None

    def check_writable(self) -> None:
        """StoreError (nothing written) unless a write would land in the file opened."""
        problem = self.problem()
        if problem is not None:
            raise StoreError(f"refusing to write: {problem}", subject=self.shown, hint=HINT_RESTORE)

    def check_kept(self) -> None:
        """After a commit: StoreError when the file was deleted or replaced meanwhile, since
        the commit then went to a file that is gone (the write must not be acknowledged)."""
        moved = self.moved()
        if moved is not None:
            raise StoreError(
                f"the write may be lost: {moved}", subject=self.shown, hint=HINT_RESTORE
            )
