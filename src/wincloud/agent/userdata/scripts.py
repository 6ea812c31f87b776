"""User-data into scripts: a ``#!`` script, PowerShell (``#ps1``), a batch file (``rem cmd``),
gzip-compressed user-data, and MIME multipart messages of those. Other formats (cloud-config)
yield no script here. Pure: bytes in, scripts out."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Final

from wincloud.errors import InvalidMetadata

MAX_EXPANDED: Final = 16 * 1024 * 1024
GZIP_MAGIC: Final = b"\x1f\x8b"
SCRIPT_TYPES: Final = frozenset(
    {"text/x-shellscript", "text/x-sh", "text/x-powershell", "text/x-cmd", "text/x-python"}
)


@dataclass(frozen=True)
class Script:
    name: str
    """File name the platform runs it as; its extension picks the interpreter on Windows."""
    body: bytes


def _kind(body: bytes) -> str | None:
    """The file-name extension for a script body ("" for #!), None when not a script."""
    head = body.lstrip(b"\xef\xbb\xbf")[:64].lower()
    if head.startswith(b"#!"):
        return ""
    if head.startswith(b"#ps1"):
        return ".ps1"
    if head.startswith(b"rem cmd"):
        return ".cmd"
    return None


def _gunzip(data: bytes) -> bytes:
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(data, MAX_EXPANDED + 1)
    except zlib.error as exc:
        raise InvalidMetadata(f"user-data is corrupt gzip ({exc})", subject="user_data") from None
    if len(out) > MAX_EXPANDED:
        raise InvalidMetadata("user-data expands beyond 16 MiB", subject="user_data")
    if not inflater.eof:
        raise InvalidMetadata("user-data is truncated gzip", subject="user_data")
    return out


def _is_mime(data: bytes) -> bool:
    head = data[:4096].lower()
    return b"content-type: multipart/" in head and b"mime-version" in head


def _from_mime(data: bytes) -> list[Script]:
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    scripts = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if payload.startswith(GZIP_MAGIC):
            payload = _gunzip(payload)
        kind = _kind(payload)
        declared = part.get_content_type() in SCRIPT_TYPES
        if kind is None and not declared:
            continue
        base = (part.get_filename() or f"part-{index:03d}").replace("/", "_").replace("\\", "_")
        name = base if kind in (None, "") or base.lower().endswith(kind) else base + kind
        scripts.append(Script(name, payload))
    return scripts


def parse_scripts(user_data: bytes) -> list[Script]:
    data = _gunzip(user_data) if user_data.startswith(GZIP_MAGIC) else user_data
    if _is_mime(data):
        return _from_mime(data)
    kind = _kind(data)
    if kind is None:
        return []
    return [Script("userdata" + kind, data)]
