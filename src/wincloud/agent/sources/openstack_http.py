"""The OpenStack metadata service over HTTP (169.254.169.254, or fe80::a9fe:a9fe on an
interface when configured), with Nova's password endpoint as the password sink."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, Final

from wincloud.agent import http
from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources._openstack import LATEST, parse_openstack
from wincloud.agent.sources.base import SourceDeps
from wincloud.agent.tree import HttpTree
from wincloud.errors import PasswordAlreadySet, SourceError, SourceUnavailable

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

IPV6_ADDRESS: Final = "fe80::a9fe:a9fe"


def ipv6_url(interface: str, *, address: str = IPV6_ADDRESS, port: int | None = None) -> str:
    """The link-local metadata URL on one interface. The zone is written ``%eth0``, not
    RFC 6874's ``%25eth0``: httpx hands the host to getaddrinfo without unquoting it."""
    return f"http://[{address}%{interface}]" + (f":{port}" if port else "")


class HttpPasswordSink:
    """``openstack/latest/password``: GET answers what was posted; a second POST answers 409."""

    def __init__(self, client: httpx.Client, url: str, *, timeout: float) -> None:
        self.client = client
        self.where = url
        self.timeout = timeout

    def is_set(self) -> bool:
        return self.read() is not None

    def read(self) -> bytes | None:
        body = http.get(self.client, self.where, timeout=self.timeout)
        return body.strip() if body and body.strip() else None

    def post(self, ciphertext: bytes) -> None:
        reply = http.request(
            self.client, "POST", self.where, timeout=self.timeout, content=ciphertext
        )
        if reply.status == 409:
            raise PasswordAlreadySet("a password was already posted", subject=self.where)
        if reply.status >= 500:
            raise SourceUnavailable(f"server answered HTTP {reply.status}", subject=self.where)
        if reply.status not in (200, 201, 204):
            raise SourceError(f"password refused with HTTP {reply.status}", subject=self.where)


class OpenStackHttpSource:
    name: ClassVar[str] = "openstack_http"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.config = deps.config.openstack_http
        urls = [self.config.url.rstrip("/")]
        if self.config.ipv6_interface:
            urls.append(ipv6_url(self.config.ipv6_interface))
        self.urls = urls
        self.selected: str | None = None

    @property
    def where(self) -> str:
        return self.selected or " or ".join(self.urls)

    def _tree(self, url: str) -> HttpTree:
        return HttpTree(self.deps.http(), url, timeout=self.config.timeout)

    def probe(self) -> bool:
        """One GET of ``/openstack`` per configured address: the first that answers decides."""
        failure: SourceUnavailable | None = None
        for url in self.urls:
            try:
                listing = self._tree(url).read("openstack")
            except SourceUnavailable as exc:
                failure = exc
                continue
            self.selected = url
            return listing is not None
        assert failure is not None
        raise failure

    def load(self) -> InstanceMetadata:
        if self.selected is None and not self.probe():
            raise SourceUnavailable("no OpenStack metadata here", subject=self.where)
        assert self.selected is not None
        return parse_openstack(self._tree(self.selected), source=self.name)

    def password_sink(self) -> PasswordSink | None:
        if self.selected is None:
            return None
        url = f"{self.selected}/openstack/{LATEST}/password"
        return HttpPasswordSink(self.deps.http(), url, timeout=self.config.timeout)

    def report_sink(self) -> ReportSink | None:
        if self.selected is None:
            return None
        from wincloud.agent.report import HttpReportSink, report_base

        base = report_base(self.selected)
        return HttpReportSink(self.deps.http(), base, timeout=self.config.timeout)
