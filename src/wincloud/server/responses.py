"""HTTP/1.1 responses as bytes: the metadata listener writes these straight to the socket."""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

TEXT: Final = "text/plain; charset=utf-8"
_REASONS: Final = {status.value: status.phrase for status in HTTPStatus}


def ok_response(body: bytes, content_type: str, *, head: bool = False) -> bytes:
    """A 200 with a body (keep-alive: HTTP/1.1's default, so no Connection header)."""
    header = (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode("ascii")
    return header if head else header + body


def response(
    status: int,
    body: bytes | str = b"",
    *,
    content_type: str = TEXT,
    headers: dict[str, str] | None = None,
    close: bool = False,
    head: bool = False,
) -> bytes:
    """Any response; ``close`` adds ``Connection: close`` (the listener then closes)."""
    data = body.encode() if isinstance(body, str) else body
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
    if status != 204:
        lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(data)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if close:
        lines.append("Connection: close")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head or status == 204 else head_bytes + data


def with_close(raw: bytes) -> bytes:
    """A prepared response, changed to close the connection after it (HTTP/1.0 clients,
    ``Connection: close``)."""
    end = raw.index(b"\r\n\r\n")
    return raw[:end] + b"\r\nConnection: close" + raw[end:]
