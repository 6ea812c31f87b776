"""Adapters between chunk iterators (what the host streams) and file objects (what Glance's
upload and our config-drive builder use)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks, pulled only as far as it is read."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        super().__init__()
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` as far as the chunks go (short only at the end of the data)."""
        filled = 0
        while filled < len(buffer):
            if not self._pending:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._pending = bytes(chunk)
                continue
            n = min(len(buffer) - filled, len(self._pending))
            buffer[filled : filled + n] = self._pending[:n]
            self._pending = self._pending[n:]
            filled += n
        self.bytes_read += filled
        return filled


def file_chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """A local file as chunks (the config drive, built locally, on its way to the host)."""
    with path.open("rb") as f:
        while chunk := f.read(chunk_bytes):
            yield chunk
