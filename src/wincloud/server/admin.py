"""The admin listener: /healthz, /metrics, and a bearer-token API over instance records.

GET    /v1/instances                   list (admin_pass masked)
POST   /v1/instances                   add a record (JSON body) -> 201
GET    /v1/instances/{id}              one record (admin_pass masked)
PUT    /v1/instances/{id}              replace a record -> 200
DELETE /v1/instances/{id}              remove -> 204
GET    /v1/instances/{id}/password     the encrypted password the guest posted, if any
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wincloud.errors import ConfigError, NotFound, StoreError, WincloudError
from wincloud.model import parse_instance
from wincloud.server.app import MetadataApp
from wincloud.store import StoredInstance

Handler = Callable[[Request], Awaitable[Response]]
MAX_RECORD_BODY = 1024 * 1024


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


def create_admin_app(md: MetadataApp) -> Starlette:
    repo, settings = md.repo, md.settings

    def authorized(handler: Handler) -> Handler:
        async def check(request: Request) -> Response:
            if settings.admin_token is None:
                return _error(403, "the admin API is disabled: set admin_token in the config")
            given = request.headers.get("authorization", "")
            expected = f"Bearer {settings.admin_token.reveal()}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(401, "missing or wrong bearer token")
            try:
                return await handler(request)
            except NotFound as err:
                return _error(404, err)
            except ConfigError as err:
                return _error(400, err)
            except StoreError as err:
                return _error(503, err)

        return check

    async def body_record(request: Request, source: str) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_RECORD_BODY:
            raise ConfigError("record larger than 1 MiB", subject=source)
        try:
            data = json.loads(raw)
        except ValueError:
            raise ConfigError("body is not JSON", subject=source) from None
        if not isinstance(data, dict):
            raise ConfigError("body must be a JSON object", subject=source)
        return data

    async def list_instances(request: Request) -> Response:
        items = await run_in_threadpool(repo.list)
        return JSONResponse([_public(s) for s in items])

    async def add_instance(request: Request) -> Response:
        record = parse_instance(await body_record(request, "POST /v1/instances"))
        stored = await run_in_threadpool(repo.add, record)
        return JSONResponse(_public(stored), status_code=201)

    async def get_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        stored = await run_in_threadpool(repo.get, ident)
        if stored is None:
            raise NotFound("no such instance", subject=ident)
        return JSONResponse(_public(stored))

    async def put_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        data = await body_record(request, f"PUT /v1/instances/{ident}")
        data.setdefault("uuid", ident)
        if data["uuid"] != ident:
            raise ConfigError("the body's uuid differs from the URL's", subject="uuid")
        stored = await run_in_threadpool(repo.update, parse_instance(data))
        return JSONResponse(_public(stored))

    async def delete_instance(request: Request) -> Response:
        ident = request.path_params["ident"]
        if not await run_in_threadpool(repo.remove, ident):
            raise NotFound("no such instance", subject=ident)
        return Response(status_code=204)

    async def get_password(request: Request) -> Response:
        ident = request.path_params["ident"]
        found = await run_in_threadpool(repo.get, ident)
        if found is None:
            raise NotFound("no such instance", subject=ident)
        uuid = found.instance.uuid
        stored = await run_in_threadpool(repo.get_password, uuid)
        encoded = base64.b64encode(stored).decode() if stored is not None else None
        return JSONResponse({"uuid": uuid, "password_base64": encoded})

    async def delete_password(request: Request) -> Response:
        ident = request.path_params["ident"]
        found = await run_in_threadpool(repo.get, ident)
        if found is None:
            raise NotFound("no such instance", subject=ident)
        await run_in_threadpool(repo.clear_password, found.instance.uuid)
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
        try:
            await run_in_threadpool(repo.ref_by_id, "00000000-0000-0000-0000-000000000000")
        except StoreError as err:
            return _error(503, err)
        return JSONResponse({"status": "ok", "cached_trees": len(md.cache)})

    async def metrics(request: Request) -> Response:
        return Response(md.metrics.render(), media_type="text/plain; version=0.0.4")

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/v1/instances", authorized(list_instances), methods=["GET"]),
        Route("/v1/instances", authorized(add_instance), methods=["POST"]),
        Route("/v1/instances/{ident}", authorized(get_instance), methods=["GET"]),
        Route("/v1/instances/{ident}", authorized(put_instance), methods=["PUT"]),
        Route("/v1/instances/{ident}", authorized(delete_instance), methods=["DELETE"]),
        Route("/v1/instances/{ident}/password", authorized(get_password), methods=["GET"]),
        Route("/v1/instances/{ident}/password", authorized(delete_password), methods=["DELETE"]),
        Route("/v1/instances/{ident}/activation", authorized(get_activation), methods=["GET"]),
    ]
    return Starlette(routes=routes)
