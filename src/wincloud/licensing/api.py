"""Admin API routes for licence accounting (mounted by ``server/admin.py``, behind its bearer
token; described in ``licensing/openapi.py``):

GET    /v1/hosts                       the host inventory
POST   /v1/hosts                       add a host -> 201
GET    /v1/hosts/{hostname}            one host
PUT    /v1/hosts/{hostname}            replace it -> 200
DELETE /v1/hosts/{hostname}            remove it -> 204
GET    /v1/instances/{ident}/history   an instance's lifecycle history (deleted ones too)
GET    /v1/licences/{month}            the month's licence report (?format=json|csv|html)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wincloud.errors import ConfigError, NotFound
from wincloud.licensing.htmlpage import PAGE_CSP
from wincloud.licensing.render import render_csv, render_report
from wincloud.licensing.report import build_report, month_bounds
from wincloud.licensing.rules import Rules, load_rules
from wincloud.store.hosts import parse_host

if TYPE_CHECKING:
    from wincloud.store import SqlInstanceRepo

Handler = Callable[[Request], Awaitable[Response]]
ReadJson = Callable[[Request, str], Awaitable[dict[str, Any]]]


def licensing_routes(
    repo: SqlInstanceRepo,
    authorized: Callable[[Handler], Handler],
    read_json: ReadJson,
    rules: Rules | None = None,
) -> list[Route]:
    used = rules or load_rules()

    async def list_hosts(request: Request) -> Response:
        hosts = await run_in_threadpool(repo.hosts.list)
        return JSONResponse([h.to_document() for h in hosts])

    async def add_host(request: Request) -> Response:
        source = "POST /v1/hosts"
        host = parse_host(await read_json(request, source), source=source)
        await run_in_threadpool(repo.hosts.add, host)
        return JSONResponse(host.to_document(), status_code=201)

    async def get_host(request: Request) -> Response:
        name = request.path_params["hostname"]
        host = await run_in_threadpool(repo.hosts.find, name)
        if host is None:
            raise NotFound("no such host in the inventory", subject=name)
        return JSONResponse(host.to_document())

    async def put_host(request: Request) -> Response:
        name = request.path_params["hostname"]
        source = f"PUT /v1/hosts/{name}"
        data = await read_json(request, source)
        data.setdefault("hostname", name)
        if data["hostname"] != name:
            raise ConfigError("the body's hostname differs from the URL's", subject="hostname")
        host = await run_in_threadpool(repo.hosts.replace, parse_host(data, source=source))
        return JSONResponse(host.to_document())

    async def delete_host(request: Request) -> Response:
        await run_in_threadpool(repo.hosts.remove, request.path_params["hostname"])
        return Response(status_code=204)

    async def history(request: Request) -> Response:
        ident = request.path_params["ident"]
        uuid = await run_in_threadpool(repo.resolve, ident) or ident
        events = await run_in_threadpool(repo.history.for_instance, uuid)
        if not events:
            raise NotFound("no such instance, now or in the history", subject=ident)
        return JSONResponse(
            {"uuid": events[0].instance_uuid, "events": [e.to_document() for e in events]}
        )

    async def licences(request: Request) -> Response:
        month = request.path_params["month"]
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "csv", "html"):
            raise ConfigError("format is json, csv or html", subject="format")
        month_bounds(month)
        report = await run_in_threadpool(build_report, repo, used, month)
        if fmt == "csv":
            return Response(render_csv(report), media_type="text/csv; charset=utf-8")
        if fmt == "html":
            page = await run_in_threadpool(render_report, report, "html")
            return Response(
                page,
                media_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": PAGE_CSP},
            )
        return JSONResponse(report.to_document())

    return [
        Route("/v1/hosts", authorized(list_hosts), methods=["GET"]),
        Route("/v1/hosts", authorized(add_host), methods=["POST"]),
        Route("/v1/hosts/{hostname}", authorized(get_host), methods=["GET"]),
        Route("/v1/hosts/{hostname}", authorized(put_host), methods=["PUT"]),
        Route("/v1/hosts/{hostname}", authorized(delete_host), methods=["DELETE"]),
        Route("/v1/instances/{ident}/history", authorized(history), methods=["GET"]),
        Route("/v1/licences/{month}", authorized(licences), methods=["GET"]),
    ]
