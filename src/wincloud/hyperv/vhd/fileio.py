"""Positional reads and writes on a file descriptor, on POSIX (``os.pread``/``os.pwrite``) and
on Windows (seek + read/write under a lock), looping over short transfers."""

from __future__ import annotations

import os
import sys
import threading

if sys.platform == "win32":
    _LOCK = threading.Lock()

    def _read_at(fd: int, length: int, offset: int) -> bytes:
        with _LOCK:
            os.lseek(fd, offset, os.SEEK_SET)
            return os.read(fd, length)

    def _write_at(fd: int, data: bytes | bytearray | memoryview, offset: int) -> int:
        with _LOCK:
            os.lseek(fd, offset, os.SEEK_SET)
            return os.write(fd, data)

else:

    def _read_at(fd: int, length: int, offset: int) -> bytes:
        return os.pread(fd, length, offset)

    def _write_at(fd: int, data: bytes | bytearray | memoryview, offset: int) -> int:
        return os.pwrite(fd, data, offset)


def read_at(fd: int, length: int, offset: int) -> bytes:
    """Up to ``length`` bytes at ``offset`` (fewer only at the end of the file)."""
    parts: list[bytes] = []
    while length > 0:
        data = _read_at(fd, length, offset)
        if not data:
            break
        parts.append(data)
        length, offset = length - len(data), offset + len(data)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def write_at(fd: int, data: bytes | bytearray | memoryview, offset: int) -> None:
    """All of ``data`` at ``offset``."""
    view = memoryview(data)
    while view:
        done = _write_at(fd, view, offset)
        view, offset = view[done:], offset + done
