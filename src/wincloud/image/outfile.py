"""Output files of ``wincloud image``: written whole or not at all.

Each output (an answer file, the answer CD, a screenshot) is written to a temporary file in the
destination's folder, flushed to disk, then renamed over the destination. A failure half-way
(disk full, a file size limit, Ctrl-C) removes the temporary file and leaves what was at the
destination untouched, so a good file is never replaced by a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from wincloud.errors import ImageError


def _mode_for(out: Path) -> int:
    """The permission bits a plain ``open()`` would give: the old file's, else 0666 - umask."""
    with contextlib.suppress(OSError):
        return out.stat().st_mode & 0o7777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def replacing(out: Path, *, what: str) -> Iterator[BinaryIO]:
    """A binary file to write ``out`` through; renamed onto ``out`` when the block ends
    without an exception. OSError becomes an ImageError naming ``out`` and ``what``."""
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as exc:
        raise ImageError(
            f"cannot write the {what} ({exc.strerror})",
            subject=str(out),
            hint="give a path in a folder you can write to",
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as sink:
            yield sink
            sink.flush()
            os.fsync(sink.fileno())
        tmp.chmod(_mode_for(out))
        tmp.replace(out)
    except OSError as exc:
        raise ImageError(
            f"cannot write the {what} ({exc.strerror}); the old file, if any, is unchanged",
            subject=str(out),
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_output(out: Path, data: bytes, *, what: str) -> None:
    """Write ``data`` to ``out`` atomically (see the module's docstring)."""
    with replacing(out, what=what) as sink:
        sink.write(data)
