"""Replace a file whole or not at all: the one atomic writer of wincloud.

The content goes to a new file beside the target (``tempname.create_temp``: the same folder,
so the rename never crosses a file system, and a fresh name opened exclusively), is flushed
to disk with its permissions set, and is then renamed over the target with ``os.replace``
(``rename(2)``; ``MoveFileExW`` with ``MOVEFILE_REPLACE_EXISTING`` on Windows). A reader sees
the old file or the new one, never a part. On POSIX the folder is synced after the rename so
that the rename itself survives a power cut.

Any failure or interruption before the rename (an ``OSError``, an exception raised by the
code writing the content, Ctrl-C) removes the staging file and leaves the target as it was.

Errors are the ``OSError`` the system raised: each caller translates it once into its own
error type, naming the file and saying what to do. This module needs ``os`` alone (no
``tempfile``, ``shutil`` or ``dataclasses``): the agent's start imports it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from wincloud.platform.tempname import create_temp

log = logging.getLogger(__name__)

SUFFIX = ".tmp"
"""Staging files are named ``.<target name>.<12 hex digits>.tmp``."""


class StagedFile:
    """The new content of ``target`` while it is being written.

    Creating one creates the staging file (``OSError`` when the folder is missing or not
    writable). Used as a context manager it gives the binary file to write to, and at the end
    of the block commits (no exception) or discards (any exception, Ctrl-C included).

    ``mode``: the permission bits of the new file, whatever the umask (``None`` keeps the
    staging file's 0600; on Windows only the read-only flag follows it). ``owner``: POSIX
    (uid, gid) to give it, set before the mode so that a set-id bit survives (Windows has no
    such ids: ignored there). ``before_replace``: called with the staging file's path once
    it is complete, synced and closed, just before the rename (Windows sets an ACL there);
    whatever it raises discards the staging file and propagates.
    """

    def __init__(
        self,
        target: Path,
        *,
        mode: int | None,
        owner: tuple[int, int] | None = None,
        before_replace: Callable[[Path], None] | None = None,
    ) -> None:
        self.target = Path(target)
        self._mode = mode
        self._owner = owner
        self._before_replace = before_replace
        fd, name = create_temp(self.target.parent, f".{self.target.name}.", SUFFIX)
        self.path = Path(name)
        try:
            self.file: BinaryIO = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            self._unlink()
            raise

    def commit(self) -> None:
        """Sync the content and rename it over the target; on failure, discard it."""
        try:
            self.file.flush()
            fd = self.file.fileno()
            if sys.platform != "win32":
                if self._owner is not None:
                    os.fchown(fd, *self._owner)
                if self._mode is not None:
                    os.fchmod(fd, self._mode)
            elif self._mode is not None:  # pragma: no cover - Windows: the read-only flag
                os.chmod(self.path, self._mode)
            os.fsync(fd)
            self.file.close()
            if self._before_replace is not None:
                self._before_replace(self.path)
            os.replace(self.path, self.target)
        except BaseException:
            self.discard()
            raise
        _sync_folder(self.target.parent)

    def discard(self) -> None:
        """Close and remove the staging file; the target stays as it was."""
        with contextlib.suppress(OSError):
            self.file.close()
        self._unlink()

    def _unlink(self) -> None:
        with contextlib.suppress(OSError):  # gone already (renamed) or never made
            os.unlink(self.path)

    def __enter__(self) -> BinaryIO:
        return self.file

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def write_file(
    target: Path,
    data: bytes,
    *,
    mode: int | None,
    owner: tuple[int, int] | None = None,
    before_replace: Callable[[Path], None] | None = None,
) -> None:
    """Replace ``target`` with ``data`` atomically (see ``StagedFile`` for the keywords)."""
    with StagedFile(target, mode=mode, owner=owner, before_replace=before_replace) as out:
        out.write(data)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable. Its failure is logged, not raised: the new file is in place
    already, and an error would tell the caller the old one still is."""
    if sys.platform == "win32":  # pragma: no cover - a folder cannot be opened for this there
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        log.warning("folder not synced after a rename path=%s error=%s", folder, exc.strerror)
