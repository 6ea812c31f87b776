"""Output files of ``wincloud image``: written whole or not at all.

Each output (an answer file, the answer CD, a screenshot) is staged beside the destination,
flushed to disk, then renamed over it (``wincloud.platform.atomic``). A failure half-way (disk
full, a file size limit, Ctrl-C, or SIGTERM/SIGHUP, which the long commands turn into the
same interrupt) removes the staging file and leaves what was at the destination untouched, so
a good file is never replaced by a truncated one.

What stays here: the new file gets the permissions a plain ``open()`` would have given it
(the old file's, else 0666 less the umask), not the private 0600 of the drive and the agent's
files, since an answer file or a screenshot is an ordinary output; and the two messages say
whether the destination was touched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from wincloud.errors import ImageError
from wincloud.platform.atomic import StagedFile


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
        staged = StagedFile(out, mode=_mode_for(out))
    except OSError as exc:
        raise ImageError(
            f"cannot write the {what} ({exc.strerror})",
            subject=str(out),
            hint="give a path in a folder you can write to",
        ) from None
    try:
        with staged as sink:
            yield sink
    except OSError as exc:
        raise ImageError(
            f"cannot write the {what} ({exc.strerror}); the old file, if any, is unchanged",
            subject=str(out),
        ) from None


def write_output(out: Path, data: bytes, *, what: str) -> None:
    """Write ``data`` to ``out`` atomically (see the module's docstring)."""
    with replacing(out, what=what) as sink:
        sink.write(data)
