"""Apache CloudStack: the virtual router's metadata (``http://<router>/latest/meta-data/…`` and
``/latest/user-data``) and its password server (``http://<router>:8080/``, a GET with the
header ``DomU_Request: send_my_password``).

The router is found as cloudbase-init and cloud-init find it: ``cloudstack.url`` when set,
else the DHCP server of each lease the OS holds (the router answers DHCP), then the DNS name
``data-server``. Probing is one GET of ``instance-id`` per candidate, and bounded: at most
``MAX_CANDIDATES`` candidates (the first lease servers, without repeats, then
``data-server``) within ``PROBE_BUDGET`` seconds together; those left out are logged.

The password server answers the password, ``saved_password`` (already taken), ``bad_request``
or nothing. Unlike cloudbase-init and cloud-init, which acknowledge a password
(``DomU_Request: saved_password``, the router forgets it then) as soon as they read it, the
agent acknowledges it only after the password plugin has set it: a password refused on the
way (Windows' complexity rule) or a run that stops first leaves it with the router."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import ClassVar, Final
from urllib.parse import urlsplit

from wincloud.agent import http
from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources.base import SourceDeps, checked_instance_id, key_lines
from wincloud.agent.tree import HttpTree, Tree
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable
from wincloud.secret import Secret

log = logging.getLogger(__name__)

DATA_SERVER: Final = "data-server"
REQUEST_HEADER: Final = "DomU_Request"
SEND: Final = "send_my_password"
ACK: Final = "saved_password"
SAVED: Final = "saved_password"
BAD_REQUEST: Final = "bad_request"
BROADCAST: Final = "255.255.255.255"
MAX_PASSWORD: Final = 1024
MAX_CANDIDATES: Final = 4
"""Routers tried when none is configured: the first lease servers, then ``data-server``. The
OS may hold up to 64 leases (lease files read), and each unanswered one costs a timeout."""
PROBE_BUDGET: Final = 15.0
"""Seconds the candidates may take together (each request gets what is left, at most
``cloudstack.timeout``); a configured ``cloudstack.url`` gets its whole timeout."""
MIN_ATTEMPT: Final = 0.5
"""A candidate is not tried with less time than this left in the budget."""
LISTED: Final = 8
"""Skipped candidates named in a log line (the rest are counted)."""


def _text(tree: Tree, path: str) -> str | None:
    raw = tree.read(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InvalidMetadata("not UTF-8 text", subject=f"{tree.where}/{path}") from None


def _failure(exc: SourceUnavailable) -> str:
    """What failed, without what the server said: the HTTP parser quotes the line it could not
    read (``illegal header line: bytearray(b'…')``), and a password server that forgot the
    blank line after its headers sends the password as that line."""
    return exc.message.split(" (", 1)[0]


def _listed(hosts: list[str]) -> str:
    shown = ",".join(hosts[:LISTED])
    return shown + (f",+{len(hosts) - LISTED} more" if len(hosts) > LISTED else "")


def parse_cloudstack(
    tree: Tree,
    *,
    source: str,
    password: Secret | None = None,
    acknowledge: Callable[[], None] | None = None,
) -> InstanceMetadata:
    """``latest/meta-data/…`` and ``latest/user-data`` into InstanceMetadata. ``public-keys``
    is one document, a key per line (not EC2's listing)."""
    md = "latest/meta-data"
    instance_id = _text(tree, f"{md}/instance-id")
    if not instance_id:
        raise InvalidMetadata("instance-id is missing", subject=f"{tree.where}/{md}/instance-id")
    checked_instance_id(instance_id, where=f"{tree.where}/{md}/instance-id")
    lines = key_lines(_text(tree, f"{md}/public-keys") or "", where=f"{tree.where}/{md}")
    keys = {str(i): key for i, key in enumerate(lines)}
    user_data = tree.read("latest/user-data")
    return InstanceMetadata(
        instance_id=instance_id,
        source=source,
        where=tree.where,
        hostname=_text(tree, f"{md}/local-hostname") or None,
        public_keys=keys,
        admin_pass=password,
        acknowledge_password=acknowledge if password is not None else None,
        user_data=user_data if user_data and user_data.strip() else None,
        availability_zone=_text(tree, f"{md}/availability-zone") or None,
        local_ipv4=_text(tree, f"{md}/local-ipv4") or None,
    )


class CloudStackSource:
    name: ClassVar[str] = "cloudstack"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.config = deps.config.cloudstack
        self.selected: str | None = None
        self.clock: Callable[[], float] = time.monotonic
        """For the probe's time budget (tests give a fake clock)."""

    @property
    def where(self) -> str:
        return self.selected or self.config.url or "the DHCP server or data-server"

    def candidates(self) -> list[str]:
        if self.config.url:
            return [self.config.url.rstrip("/")]
        try:
            servers = self.deps.platform.network.dhcp_servers()
        except PlatformError as exc:
            log.warning("dhcp leases unreadable error=%s", exc)
            servers = []
        hosts: dict[str, None] = {}
        for server in servers:
            try:  # a lease is a hint: what is not an address is skipped, not tried
                address = ipaddress.ip_address(server.strip())
            except ValueError:
                log.warning("dhcp server ignored reason=not-an-address value=%r", server[:60])
                continue
            if address.is_unspecified or address.is_multicast or str(address) == BROADCAST:
                log.warning("dhcp server ignored reason=not-unicast value=%s", address)
                continue
            hosts[f"[{address}]" if address.version == 6 else str(address)] = None
        leases = list(hosts)
        kept, skipped = leases[: MAX_CANDIDATES - 1], leases[MAX_CANDIDATES - 1 :]
        if skipped:
            log.warning(
                "cloudstack candidates skipped reason=over-limit limit=%d count=%d skipped=%s",
                MAX_CANDIDATES,
                len(skipped),
                _listed(skipped),
            )
        return [f"http://{host}" for host in [*kept, DATA_SERVER]]

    def _tree(self, base: str, timeout: float | None = None) -> HttpTree:
        return HttpTree(
            self.deps.http(), base, timeout=self.config.timeout if timeout is None else timeout
        )

    def probe(self) -> bool:
        """The first candidate that serves ``latest/meta-data/instance-id``. When none
        answers: SourceUnavailable (retried) for a configured URL; absent for found ones.
        Found candidates share ``PROBE_BUDGET``: each request gets what is left of it (at
        most ``cloudstack.timeout``), and those it leaves no time for are logged, not tried."""
        failure: SourceUnavailable | None = None
        candidates = self.candidates()
        deadline = self.clock() + PROBE_BUDGET
        for index, base in enumerate(candidates):
            timeout = self.config.timeout
            if not self.config.url:
                left = deadline - self.clock()
                if left < MIN_ATTEMPT:
                    log.warning(
                        "cloudstack candidates skipped reason=time-budget budget_s=%g "
                        "count=%d skipped=%s",
                        PROBE_BUDGET,
                        len(candidates) - index,
                        _listed([urlsplit(c).netloc for c in candidates[index:]]),
                    )
                    break
                timeout = min(timeout, left)
            try:
                found = self._tree(base, timeout).read("latest/meta-data/instance-id")
            except SourceUnavailable as exc:
                log.info(
                    "cloudstack candidate did not answer where=%s error=%s", base, _failure(exc)
                )
                failure = exc
                continue
            if found is not None and found.strip():
                self.selected = base
                return True
        if failure is not None and self.config.url:
            raise failure
        return False

    def load(self) -> InstanceMetadata:
        if self.selected is None and not self.probe():
            raise SourceUnavailable("no CloudStack router here", subject=self.where)
        assert self.selected is not None
        password = self.fetch_password() if self.config.password_server else None
        return parse_cloudstack(
            self._tree(self.selected),
            source=self.name,
            password=password,
            acknowledge=self.acknowledge_password,
        )

    def password_url(self) -> str:
        assert self.selected is not None
        host = urlsplit(self.selected).hostname or ""
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.config.password_port}/"

    def _ask(self, request: str) -> bytes:
        reply = http.request(
            self.deps.http(),
            "GET",
            self.password_url(),
            timeout=self.config.timeout,
            headers={REQUEST_HEADER: request},
            max_body=MAX_PASSWORD,
        )
        if reply.status != 200:
            raise SourceUnavailable(
                f"password server answered HTTP {reply.status}", subject=self.password_url()
            )
        return reply.body.strip()

    def fetch_password(self) -> Secret | None:
        """The password the router holds for this VM (acknowledged once read); None when it
        holds none or cannot be reached (the metadata is still used)."""
        url = self.password_url()
        try:
            raw = self._ask(SEND)
        except SourceUnavailable as exc:
            log.warning("password server unavailable where=%s error=%s", url, _failure(exc))
            return None
        try:
            answer = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Decoded with replacements it would be another password than the router's: set
            # and acknowledged, nobody could log in with it.
            log.warning("password server answer ignored reason=not-utf-8 where=%s", url)
            return None
        if answer in ("", SAVED):
            log.info("password server holds no new password where=%s", url)
            return None
        if answer == BAD_REQUEST:
            log.warning("password server did not understand the request where=%s", url)
            return None
        if any(ch in answer for ch in "\r\n\0"):
            log.warning("password server answer ignored reason=not-one-line where=%s", url)
            return None
        self.deps.register_secret(answer)
        log.info("password read where=%s", url)
        return Secret(answer)

    def acknowledge_password(self) -> None:
        """Tell the router the password is in effect (it forgets it then). Called by the
        password plugin after setting it, never before: a password refused on the way (the
        complexity rule) stays with the router for the next boot."""
        url = self.password_url()
        try:
            acked = self._ask(ACK)
        except SourceUnavailable as exc:
            log.warning("password not acknowledged where=%s error=%s", url, _failure(exc))
        else:
            ok = acked != BAD_REQUEST.encode()
            log.info("password acknowledged where=%s answer_ok=%s", url, ok)

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
