"""The metadata service: one ASGI app answering Nova's OpenStack and EC2 trees.

Per request: normalise the path, identify the caller (source address or signed proxy
headers), take the caller's rendered tree from the cache, apply the IMDSv2 and password rules,
answer. One log line per request; no body, header value or secret is ever logged.
"""

from __future__ import annotations

import logging
import posixpath
import time
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wincloud.server import imdsv2
from wincloud.server.cache import Rendered, TreeCache
from wincloud.server.identify import FORWARDED_HEADER, Caller, Refusal, identify
from wincloud.server.metrics import Metrics
from wincloud.server.password import handle_password
from wincloud.server.reports import SCHEMAS, handle_report
from wincloud.server.settings import MAX_TOKEN_TTL, ServerSettings, TokenMode
from wincloud.store import InstanceRepo
from wincloud.tree.versions import PASSWORD_SINCE, since

log = logging.getLogger("wincloud.server.access")

TOKEN_PATH: Final = "latest/api/token"  # noqa: S105 - a path
_READ_METHODS: Final = frozenset({"GET", "HEAD"})


def normalize_path(raw: str) -> str:
    """``/openstack//latest/`` -> ``openstack/latest``; the EC2 root is ``""``."""
    path = posixpath.normpath("/" + raw)
    return path.strip("/")


def _report_kind(path: str) -> tuple[str, str] | None:
    """``openstack/<version>/wincloud/<kind>`` -> (version, kind) for known report kinds."""
    parts = path.split("/")
    is_report = len(parts) == 4 and parts[0] == "openstack" and parts[2] == "wincloud"
    return (parts[1], parts[3]) if is_report and parts[3] in SCHEMAS else None


def _content_type(path: str) -> str:
    return "application/json" if path.endswith(".json") else "text/plain; charset=utf-8"


def _text(status: int, body: str = "", headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type="text/plain", headers=headers)


class MetadataApp:
    """ASGI callable; build it with ``create_app``."""

    def __init__(self, repo: InstanceRepo, settings: ServerSettings, metrics: Metrics) -> None:
        self.repo = repo
        self.settings = settings
        self.metrics = metrics
        self.cache = TreeCache(settings.cache_size)
        key = settings.token_key.reveal().encode() if settings.token_key else None
        self.tokens = imdsv2.TokenSigner(key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets have nothing to ask here
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        path = normalize_path(request.url.path)
        response, instance = await self._answer(request, path)
        await response(scope, receive, send)
        elapsed = time.perf_counter() - started
        api = "openstack" if path.startswith("openstack") else "ec2"
        self.metrics.requests.labels(api, str(response.status_code)).inc()
        self.metrics.latency.observe(elapsed)
        log.info(
            "request method=%s path=/%s status=%d instance=%s client=%s ms=%.2f",
            request.method,
            path,
            response.status_code,
            instance or "-",
            request.client.host if request.client else "-",
            elapsed * 1000,
        )

    async def _answer(self, request: Request, path: str) -> tuple[Response, str | None]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        client = request.client.host if request.client else None
        found = await run_in_threadpool(self._lookup, client, headers)
        if isinstance(found, Refusal):
            return self._refuse(found), None
        caller, rendered = found
        uuid = rendered.instance.uuid
        if path == TOKEN_PATH:
            return self._issue_token(request, headers, caller), uuid
        report = _report_kind(path)
        if report is not None and f"openstack/{report[0]}" in rendered.files:
            return await handle_report(self, request, uuid, report[1]), uuid
        version_dir, _, leaf = path.rpartition("/")
        if leaf == "password" and version_dir.startswith("openstack/"):
            version = version_dir.removeprefix("openstack/")
            if version_dir in rendered.files and since(version, PASSWORD_SINCE):
                return await handle_password(self, request, uuid), uuid
        if request.method not in _READ_METHODS:
            return _text(405, "method not allowed", {"Allow": "GET, HEAD"}), uuid
        if not path.startswith("openstack") and not self._token_ok(headers, uuid):
            return _text(401, "a valid X-aws-ec2-metadata-token is required"), uuid
        body = rendered.files.get(path)
        if body is None:
            return _text(404, "not found"), uuid
        return Response(body, media_type=_content_type(path)), uuid

    def _lookup(
        self, client: str | None, headers: dict[str, str]
    ) -> tuple[Caller, Rendered] | Refusal:
        """Identify the caller and fetch its tree (runs in a worker thread: it may query)."""
        caller = identify(self.repo, self.settings, client, headers)
        if isinstance(caller, Refusal):
            return caller
        rendered = self.cache.get(caller.ref, self.repo.get)
        self.metrics.cached_trees.set(len(self.cache))
        if rendered is None:
            return Refusal(404, "instance removed while answering")
        if caller.tenant is not None and caller.tenant != rendered.instance.project_id:
            return Refusal(404, "X-Tenant-ID does not own the instance")
        return caller, rendered

    def _refuse(self, refusal: Refusal) -> Response:
        self.metrics.refused.labels(str(refusal.status)).inc()
        log.debug("refused status=%d reason=%s", refusal.status, refusal.reason)
        return _text(
            refusal.status, {400: "bad request", 403: "forbidden"}.get(refusal.status, "not found")
        )

    def _issue_token(self, request: Request, headers: dict[str, str], caller: Caller) -> Response:
        if request.method != "PUT":
            return _text(405, "use PUT", {"Allow": "PUT"})
        if FORWARDED_HEADER in headers and caller.via == "address":
            # Like AWS: a token request that went through a proxy we do not trust is refused
            # (a signed or trusted proxy is the one way in that may forward it).
            return _text(403, "forbidden")
        ttl = imdsv2.parse_ttl(headers.get(imdsv2.TTL_HEADER), MAX_TOKEN_TTL)
        if ttl is None:
            return _text(400, f"X-aws-ec2-metadata-token-ttl-seconds must be 1..{MAX_TOKEN_TTL}")
        token = self.tokens.issue(caller.ref.uuid, ttl)
        return _text(200, token, {imdsv2.TTL_HEADER: str(ttl)})

    def _token_ok(self, headers: dict[str, str], uuid: str) -> bool:
        token = headers.get(imdsv2.TOKEN_HEADER)
        if token is None:
            return self.settings.token_mode is TokenMode.OPTIONAL
        return self.tokens.is_valid(token, uuid)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    repo: InstanceRepo, settings: ServerSettings, metrics: Metrics | None = None
) -> MetadataApp:
    return MetadataApp(repo, settings, metrics or Metrics())
