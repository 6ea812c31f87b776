"""Guest reports: ``POST /openstack/<version>/wincloud/activation`` (contract in docs/plugins.md).

The caller is identified like every metadata path; the body is checked against the report's
schema and kept as the instance's last report of its kind. Reports are the guest's word:
stored as data and never logged beyond their size.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from wincloud.model.instance import describe_validation_error
from wincloud.server.password import read_bounded

if TYPE_CHECKING:
    from wincloud.server.app import MetadataApp

log = logging.getLogger(__name__)

MAX_REPORT = 4096
Text = Annotated[str, Field(max_length=256)]


class ActivationReport(BaseModel):
    """What the licensing plugin reports; unknown fields are ignored (newer agents)."""

    model_config = ConfigDict(extra="ignore")

    version: Literal[1]
    license_status: Text
    instance_id: Text | None = None
    product: Text | None = None
    edition: Text | None = None
    build: int | None = None
    key_source: Text | None = None
    kms_host: Text | None = None
    activation: Literal["activated", "failed", "not-attempted"] | None = None
    partial_key: Annotated[str, Field(max_length=5)] | None = None
    grace_minutes: int | None = None
    error_code: Text | None = None
    error: Text | None = None
    reported_at: Text | None = None


SCHEMAS: dict[str, type[BaseModel]] = {"activation": ActivationReport}


def _text(status: int, body: str = "") -> Response:
    return Response(body, status_code=status, media_type="text/plain")


async def handle_report(app: MetadataApp, request: Request, uuid: str, kind: str) -> Response:
    if request.method != "POST":
        return Response("use POST", status_code=405, headers={"Allow": "POST"})
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _text(415, "send application/json")
    raw = await read_bounded(request, MAX_REPORT)
    if raw is None:
        return _text(413, f"reports are at most {MAX_REPORT} bytes")
    try:
        data = json.loads(raw)
    except ValueError:
        return _text(400, "the body is not JSON")
    if not isinstance(data, dict):
        return _text(400, "the body must be a JSON object")
    try:
        report = SCHEMAS[kind].model_validate(data)
    except ValidationError as exc:
        return _text(400, describe_validation_error(exc))
    body = report.model_dump(mode="json", exclude_none=True)
    if not await run_in_threadpool(app.repo.reports.store, uuid, kind, body):
        return _text(404, "not found")
    log.info("report received instance=%s kind=%s bytes=%d", uuid, kind, len(raw))
    return Response(status_code=204)
