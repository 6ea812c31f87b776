"""The admin listener: /healthz, /metrics, /openapi.json, and a bearer-token API over records.

GET    /v1/instances                     list (admin_pass masked)
POST   /v1/instances                     add a record (JSON body) -> 201
GET    /v1/instances/{id}                one record (admin_pass masked)
PUT    /v1/instances/{id}                replace a record -> 200
DELETE /v1/instances/{id}                remove -> 204
GET    /v1/instances/{id}/password       the sealed password the guest posted, if any
DELETE /v1/instances/{id}/password       forget it (the guest may post again) -> 204
GET    /v1/instances/{id}/activation     the guest's last activation report
/v1/hosts, /v1/instances/{id}/history, /v1/licences/{month}: licence accounting (licensing/api.py)

Bodies are refused (413) before they are read past MAX_RECORD_BODY; JSON that nests deeper
than MAX_JSON_DEPTH, holds a lone surrogate or NaN is a 400 naming where. Every request gets
one access-log line (method, escaped path, status, client, time), refused logins included;
the token never appears in a log. After a successful write the metadata service's index is
refreshed before the answer, so guests see the change as soon as the operator does.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wincloud.errors import ConfigError, NotFound, StoreError, WincloudError
from wincloud.licensing.api import licensing_routes
from wincloud.licensing.metrics import register_collector
from wincloud.model import parse_instance
from wincloud.server.admin_openapi import openapi_document
from wincloud.store import StoredInstance

if TYPE_CHECKING:
    from wincloud.server.app import MetadataApp

log = logging.getLogger(__name__)
access_log = logging.getLogger("wincloud.server.admin.access")

Handler = Callable[[Request], Awaitable[Response]]
MAX_RECORD_BODY: Final = 1024 * 1024
MAX_JSON_DEPTH: Final = 64


class HttpRefusal(Exception):
    """An answer other than 2xx decided before the handler's work (413, 400 on the body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, err: WincloudError | str) -> JSONResponse:
    if isinstance(err, WincloudError):
        body = {"error": err.code, "message": str(err), "hint": err.hint}
    else:
        body = {"error": "http-error", "message": err, "hint": None}
    return JSONResponse(body, status_code=status)


def _public(stored: StoredInstance) -> dict[str, Any]:
    doc = stored.instance.to_document(reveal=False)
    doc["revision"] = stored.revision
    return doc


# -- request bodies ----------------------------------------------------------------------


async def read_body(request: Request, limit: int = MAX_RECORD_BODY) -> bytes:
    """The body, refused (413) by its Content-Length before anything is read, or as soon as
    the bytes received pass ``limit`` (chunked bodies): never buffered past the limit."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HttpRefusal(400, "Content-Length is not a number")
        if int(declared) > limit:
            raise HttpRefusal(413, f"body larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HttpRefusal(413, f"body larger than {limit} bytes")
    return bytes(body)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(raw: bytes, source: str) -> dict[str, Any]:
    """``raw`` as a JSON object, or ConfigError (a 400) saying what is wrong with it."""
    try:
        text = raw.decode("utf-8")  # JSON between systems is UTF-8 (RFC 8259), no guessing
    except UnicodeDecodeError:
        raise ConfigError("body is not UTF-8 text", subject=source) from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise ConfigError(
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels", subject=source
        ) from None
    except ValueError as exc:
        raise ConfigError(f"body is not JSON ({exc})", subject=source) from None
    if not isinstance(data, dict):
        raise ConfigError("body must be a JSON object", subject=source)
    _check_tree(data, source)
    return data


def _check_tree(data: Any, source: str) -> None:
    """Depth at most MAX_JSON_DEPTH, and every string (keys too) encodable as UTF-8 (JSON's
    ``\\ud800`` escapes decode to lone surrogates, which nothing downstream can store)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ConfigError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", subject=source)
        if isinstance(value, str):
            _check_text(value, path or "body", source)
        elif isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                _check_text(key, where, source)
                stack.append((item, depth + 1, where))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))


def _check_text(text: str, where: str, source: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = where.encode("ascii", "backslashreplace").decode()
        raise ConfigError(
            f"{shown}: a lone surrogate (\\ud800-\\udfff) is not text",
            subject=source,
            hint="send UTF-8 text; encode binary data as base64",
        ) from None


# -- the access log ----------------------------------------------------------------------


def escape_for_log(raw: bytes) -> str:
    """Printable ASCII as is; spaces, control characters, quotes, backslashes and non-ASCII
    bytes as ``\\xNN``, so a request cannot forge or split a log line."""
    return "".join(
        chr(b) if 0x21 <= b <= 0x7E and b not in (0x22, 0x5C) else f"\\x{b:02x}" for b in raw
    )


class AccessLog:
    """ASGI middleware: one log line per request, written as its answer completes (before the
    last byte goes out, so the line exists by the time the client has the answer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless an answer starts
        logged = False

        def write_line() -> None:
            nonlocal logged
            logged = True
            raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
            client = scope.get("client")
            access_log.info(
                "admin request method=%s path=%s status=%d client=%s ms=%.2f",
                escape_for_log(scope.get("method", "-").encode("ascii", "replace")),
                escape_for_log(raw),
                status,
                escape_for_log(str(client[0]).encode()) if client else "-",
                (time.perf_counter() - started) * 1000,
            )

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                write_line()
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            if not logged:
                write_line()


# -- the app -----------------------------------------------------------------------------


def _sealed_text(stored: bytes) -> str | None:
    """The posted password as the guest sent it (base64 text), or None when the bytes are not
    ASCII text (nothing an agent posts; the API then also gives them base64-encoded)."""
    try:
        text = stored.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


def create_admin_app(md: MetadataApp) -> Starlette:
    repo, settings = md.repo, md.settings

    async def refresh() -> None:
        """After a committed write: bring the service's index up to date before answering.
        A failure here does not undo the write (the index also follows the store)."""
        refresher = getattr(md, "refresh", None)
        if refresher is None:
            return
        try:
            await run_in_threadpool(refresher)
        except WincloudError as err:
            log.warning("index refresh after an admin write failed: %s", err)

    def authorized(handler: Handler) -> Handler:
        async def check(request: Request) -> Response:
            if settings.admin_token is None:
                return _error(403, "the admin API is disabled: set admin_token in the config")
            scheme, _, given = request.headers.get("authorization", "").strip().partition(" ")
            expected = settings.admin_token.reveal()
            # The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
            right = hmac.compare_digest(given.strip().encode(), expected.encode())
            if scheme.lower() != "bearer" or not right:
                return _error(401, "missing or wrong bearer token")
            try:
                return await handler(request)
            except HttpRefusal as refused:
                headers = {"Connection": "close"} if refused.status == 413 else None
                response = _error(refused.status, refused.message)
                if headers:
                    response.headers.update(headers)
                return response
            except NotFound as err:
                return _error(404, err)
            except ConfigError as err:
                return _error(400, err)
            except StoreError as err:
                return _error(503, err)

        return check

    async def body_record(request: Request, source: str) -> dict[str, Any]:
        return parse_json_object(await read_body(request), source)

    async def list_instances(request: Request) -> Response:
        items = await run_in_threadpool(repo.list)
        return JSONResponse([_public(s) for s in items])

    async def add_instance(request: Request) -> Response:
        source = "POST /v1/instances"
        record = parse_instance(await body_record(request, source), source=source)
        stored = await run_in_threadpool(repo.add, record)
        await refresh()
        return JSONResponse(_public(stored), status_code=201)

    async def get_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        stored = await run_in_threadpool(repo.get, ident)
        if stored is None:
            raise NotFound("no such instance", subject=ident)
        return JSONResponse(_public(stored))

    async def put_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        source = f"PUT /v1/instances/{ident}"
        data = await body_record(request, source)
        data.setdefault("uuid", ident)
        if data["uuid"] != ident:
            raise ConfigError("the body's uuid differs from the URL's", subject="uuid")
        stored = await run_in_threadpool(repo.update, parse_instance(data, source=source))
        await refresh()
        return JSONResponse(_public(stored))

    async def delete_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        if not await run_in_threadpool(repo.remove, ident):
            raise NotFound("no such instance", subject=ident)
        await refresh()
        return Response(status_code=204)

    async def get_password(request: Request) -> Response:
        ident = request.path_params["ident"]
        found = await run_in_threadpool(repo.get, ident)
        if found is None:
            raise NotFound("no such instance", subject=ident)
        uuid = found.instance.uuid
        stored = await run_in_threadpool(repo.get_password, uuid)
        body: dict[str, Any] = {"uuid": uuid, "password_base64": None}
        if stored is not None:
            body["password_base64"] = _sealed_text(stored)
            if body["password_base64"] is None:
                body["posted_bytes_base64"] = base64.b64encode(stored).decode()
        return JSONResponse(body)

    async def delete_password(request: Request) -> Response:
        ident = request.path_params["ident"]
        found = await run_in_threadpool(repo.get, ident)
        if found is None:
            raise NotFound("no such instance", subject=ident)
        await run_in_threadpool(repo.clear_password, found.instance.uuid)
        await refresh()
        return Response(status_code=204)

    async def get_activation(request: Request) -> Response:
        ident = request.path_params["ident"]
        stored = await run_in_threadpool(repo.get, ident)
        if stored is None:
            raise NotFound("no such instance", subject=ident)
        found = await run_in_threadpool(repo.reports.get, stored.instance.uuid, "activation")
        if found is None:
            return JSONResponse({"uuid": stored.instance.uuid, "report": None})
        body, received = found
        return JSONResponse(
            {"uuid": stored.instance.uuid, "report": body, "received_at": received.isoformat()}
        )

    async def healthz(request: Request) -> Response:
        reason = await run_in_threadpool(repo.health)
        if reason is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        status = getattr(md, "status", None)
        details = status() if callable(status) else {"cached_trees": len(md.cache)}
        return JSONResponse({"status": "ok", **details})

    async def metrics(request: Request) -> Response:
        # in the pool: a collector may read the store (licensing), never on the event loop
        body = await run_in_threadpool(md.metrics.render)
        return Response(body, media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document())

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/v1/instances", authorized(list_instances), methods=["GET"]),
        Route("/v1/instances", authorized(add_instance), methods=["POST"]),
        Route("/v1/instances/{ident}", authorized(get_instance), methods=["GET"]),
        Route("/v1/instances/{ident}", authorized(put_instance), methods=["PUT"]),
        Route("/v1/instances/{ident}", authorized(delete_instance), methods=["DELETE"]),
        Route("/v1/instances/{ident}/password", authorized(get_password), methods=["GET"]),
        Route("/v1/instances/{ident}/password", authorized(delete_password), methods=["DELETE"]),
        Route("/v1/instances/{ident}/activation", authorized(get_activation), methods=["GET"]),
    ]
    routes += licensing_routes(repo, authorized, body_record)  # hosts, history, licences
    register_collector(md.metrics, repo)  # licensing gauges on /metrics
    app = Starlette(routes=routes)
    app.add_middleware(AccessLog)
    return app
