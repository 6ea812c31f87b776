"""The agent side of wincloud's report endpoints: a JSON POST to
``<base>/openstack/latest/wincloud/<name>`` on the metadata service that answered (the
server contract is in docs/plugins.md, "Activation report"). httpx is imported by
``agent/http.py`` only when a report is posted."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from wincloud.agent import http
from wincloud.errors import SourceError, SourceUnavailable

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

REPORT_PATH: Final = "openstack/latest/wincloud"
MAX_REPORT: Final = 4096
"""Bytes of JSON a report may have (the service answers 413 beyond)."""
_NAME: Final = re.compile(r"^[a-z][a-z0-9-]{0,31}\Z")
_ABSENT: Final = frozenset({404, 405, 501})


def report_base(service_url: str) -> str:
    """``http://169.254.169.254`` -> ``http://169.254.169.254/openstack/latest/wincloud``."""
    return f"{service_url.rstrip('/')}/{REPORT_PATH}"


class HttpReportSink:
    """POSTs reports to the metadata service (the OpenStack HTTP source builds one)."""

    def __init__(self, client: httpx.Client, base_url: str, *, timeout: float) -> None:
        self.client = client
        self.where = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, name: str, document: Mapping[str, Any]) -> bool:
        if not _NAME.match(name):
            raise ValueError(f"invalid report name {name!r}")
        url = f"{self.where}/{name}"
        body = json.dumps(dict(document), separators=(",", ":"), sort_keys=True).encode()
        if len(body) > MAX_REPORT:
            raise SourceError(f"report larger than {MAX_REPORT} bytes", subject=url)
        reply = http.request(
            self.client,
            "POST",
            url,
            timeout=self.timeout,
            headers={"Content-Type": "application/json"},
            content=body,
            max_body=MAX_REPORT,
        )
        if reply.status in _ABSENT:
            log.info("report not offered by the service name=%s status=%d", name, reply.status)
            return False
        if reply.status >= 500:
            raise SourceUnavailable(f"server answered HTTP {reply.status}", subject=url)
        if reply.status not in (200, 201, 202, 204):
            raise SourceError(f"report refused with HTTP {reply.status}", subject=url)
        return True
