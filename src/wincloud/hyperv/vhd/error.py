"""The one error the VHD/VHDX library raises on purpose."""

from __future__ import annotations

from wincloud.errors import ImageError


class VhdError(ImageError):
    """A virtual disk cannot be read, written or trusted.

    The message names the structure and the field ("VHDX header 2 checksum mismatch"); the
    subject is the file. It is an ``ImageError``, so callers that handle image errors catch it.
    """

    code = "vhd-error"
    exit_status = 1
