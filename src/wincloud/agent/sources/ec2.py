"""The EC2 metadata format over HTTP, IMDSv2 first: ``PUT /latest/api/token`` for a session
token, then GETs that carry it. A service without tokens (404/405/403 on the PUT) is read
the IMDSv1 way, unless the config requires tokens."""

from __future__ import annotations

import logging
from typing import ClassVar, Final

from wincloud.agent import http
from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources.base import SourceDeps
from wincloud.agent.tree import HttpTree, Tree
from wincloud.errors import InvalidMetadata, SourceUnavailable

log = logging.getLogger(__name__)

TOKEN_PATH: Final = "latest/api/token"  # noqa: S105 - a path
TTL_HEADER: Final = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER: Final = "X-aws-ec2-metadata-token"  # noqa: S105 - a header name
NO_TOKENS: Final = frozenset({403, 404, 405})


def _text(tree: Tree, path: str) -> str | None:
    raw = tree.read(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidMetadata("not UTF-8 text", subject=f"{tree.where}/{path}") from None


def parse_ec2(tree: Tree, *, version: str, source: str) -> InstanceMetadata:
    """``<version>/meta-data/...`` and ``<version>/user-data`` into InstanceMetadata."""
    md = f"{version}/meta-data"
    instance_id = _text(tree, f"{md}/instance-id")
    if not instance_id:
        raise InvalidMetadata("instance-id is missing", subject=f"{tree.where}/{md}/instance-id")
    keys: dict[str, str] = {}
    for entry in tree.children(f"{md}/public-keys"):
        index, _, key_name = entry.rstrip("/").partition("=")
        key = _text(tree, f"{md}/public-keys/{index}/openssh-key")
        if key:
            keys[key_name or index] = key
    return InstanceMetadata(
        instance_id=instance_id,
        source=source,
        where=tree.where,
        hostname=_text(tree, f"{md}/local-hostname") or _text(tree, f"{md}/hostname"),
        public_keys=keys,
        user_data=tree.read(f"{version}/user-data"),
        availability_zone=_text(tree, f"{md}/placement/availability-zone"),
        local_ipv4=_text(tree, f"{md}/local-ipv4") or None,
    )


class Ec2Source:
    name: ClassVar[str] = "ec2"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.config = deps.config.ec2
        self.base = self.config.url.rstrip("/")
        self._headers: dict[str, str] | None = None

    @property
    def where(self) -> str:
        return self.base

    def _session_headers(self) -> dict[str, str]:
        """A token header (IMDSv2), or none when the service has no tokens (IMDSv1)."""
        if self._headers is not None:
            return self._headers
        url = f"{self.base}/{TOKEN_PATH}"
        reply = http.request(
            self.deps.http(),
            "PUT",
            url,
            timeout=self.config.timeout,
            headers={TTL_HEADER: str(self.config.token_ttl)},
        )
        if reply.status == 200 and reply.body.strip():
            token = reply.body.decode("ascii", "replace").strip()
            self.deps.register_secret(token)
            self._headers = {TOKEN_HEADER: token}
            log.debug("imdsv2 token obtained where=%s", self.base)
        elif reply.status in NO_TOKENS and not self.config.require_token:
            log.debug("imdsv2 not offered status=%d where=%s", reply.status, self.base)
            self._headers = {}
        else:
            raise SourceUnavailable(f"token request answered HTTP {reply.status}", subject=url)
        return self._headers

    def tree(self) -> HttpTree:
        return HttpTree(
            self.deps.http(),
            self.base,
            timeout=self.config.timeout,
            headers=self._session_headers(),
        )

    def probe(self) -> bool:
        return self.tree().read(f"{self.config.api_version}/meta-data/instance-id") is not None

    def load(self) -> InstanceMetadata:
        return parse_ec2(self.tree(), version=self.config.api_version, source=self.name)

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
