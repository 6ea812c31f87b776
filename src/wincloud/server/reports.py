"""Guest reports: ``POST /openstack/<version>/wincloud/activation`` (contract in docs/plugins.md).

The caller is identified like every metadata path; the body is checked against the report's
schema and kept as the instance's last report of its kind. Reports are the guest's word:
stored as data and never logged beyond their size.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wincloud.model.instance import describe_validation_error

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


def parse_report(kind: str, content_type: str, raw: bytes) -> dict[str, Any] | tuple[int, str]:
    """The report to store, or (status, message) saying why not. Never raises on a guest's
    input: deep nesting, lone surrogates and odd numbers are 400s."""
    schema = SCHEMAS.get(kind)
    if schema is None:
        return 404, "not found"
    if content_type.split(";", maxsplit=1)[0].strip().lower() != "application/json":
        return 415, "send application/json"
    if len(raw) > MAX_REPORT:
        return 413, f"reports are at most {MAX_REPORT} bytes"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return 400, "the body is not JSON (or is nested too deeply)"
    if not isinstance(data, dict):
        return 400, "the body must be a JSON object"
    try:
        report = schema.model_validate(data)
    except ValidationError as exc:
        return 400, describe_validation_error(exc)
    except RecursionError:
        return 400, "the body is nested too deeply"
    body = report.model_dump(mode="json", exclude_none=True)
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return 400, "the body holds text that is not valid Unicode (a lone surrogate)"
    return body
