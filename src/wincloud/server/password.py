"""The instance password (``openstack/<version>/password``): GET reads, POST writes once."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from wincloud.server.app import MetadataApp

log = logging.getLogger(__name__)


def _text(status: int, body: bytes | str = b"") -> Response:
    return Response(body, status_code=status, media_type="text/plain")


async def read_bounded(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is longer than ``limit`` (never buffered past it)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def handle_password(app: MetadataApp, request: Request, uuid: str) -> Response:
    if request.method in {"GET", "HEAD"}:
        stored = await run_in_threadpool(app.repo.get_password, uuid)
        return _text(200, stored or b"")
    if request.method != "POST":
        return _text(400, "only GET and POST are allowed on password")
    body = await read_bounded(request, app.settings.max_password_size)
    if body is None:
        app.metrics.passwords.labels("too-large").inc()
        return _text(400, f"password longer than {app.settings.max_password_size} bytes")
    if not body.strip():
        # An empty value would read back as "unset" yet lock the endpoint for good.
        app.metrics.passwords.labels("empty").inc()
        return _text(400, "an empty password cannot be stored")
    accepted = await run_in_threadpool(app.repo.store_password, uuid, body)
    if not accepted:
        app.metrics.passwords.labels("conflict").inc()
        log.info("password already set instance=%s", uuid)
        return _text(409, "password already set")
    app.metrics.passwords.labels("stored").inc()
    log.info("password stored instance=%s bytes=%d", uuid, len(body))
    return _text(200)
