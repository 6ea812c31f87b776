"""Who is asking? The calling instance, from the source address or a signed proxy header."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Literal

from wincloud.server.settings import ServerSettings
from wincloud.store import InstanceRef, InstanceRepo

INSTANCE_ID_HEADER = "x-instance-id"
SIGNATURE_HEADER = "x-instance-id-signature"
TENANT_HEADER = "x-tenant-id"
FORWARDED_HEADER = "x-forwarded-for"


@dataclass(frozen=True)
class Refusal:
    """Why a caller gets no data: the HTTP status and a short reason for the log."""

    status: int
    reason: str


Via = Literal["address", "forwarded-for", "signature"]


@dataclass(frozen=True)
class Caller:
    """An identified caller; ``tenant`` is the proxy's X-Tenant-ID, checked by the app
    against the instance's project once the record is at hand; ``via`` says how it was told
    (a trusted proxy's X-Forwarded-For, a signed X-Instance-ID, or the source address)."""

    ref: InstanceRef
    tenant: str | None = None
    via: Via = "address"


def sign_instance_id(secret: str, instance_id: str) -> str:
    """The proxy signature: lowercase hex HMAC-SHA256 of the instance id."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def _parse_ip(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip()
    if "%" in text:  # fe80::1%eth0: the zone is not part of the instance's address
        text = text.split("%", 1)[0]
    try:
        addr = ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def caller_address(
    client_host: str | None, headers: dict[str, str], settings: ServerSettings
) -> tuple[IPv4Address | IPv6Address | None, Via]:
    """The address that identifies the caller. X-Forwarded-For counts only when the request
    comes from a trusted proxy; then the rightmost address that is not itself a trusted proxy
    is the client (whatever a client put on the left of the header is its own claim)."""
    peer = _parse_ip(client_host) if client_host else None
    forwarded = headers.get(FORWARDED_HEADER)
    if forwarded is None or peer is None or not _is_proxy(peer, settings):
        return peer, "address"
    for part in reversed(forwarded.split(",")):
        addr = _parse_ip(part)
        if addr is None or not _is_proxy(addr, settings):
            return addr, "forwarded-for"
    return None, "forwarded-for"


def _is_proxy(addr: IPv4Address | IPv6Address, settings: ServerSettings) -> bool:
    return any(addr in net for net in settings.trusted_proxies)


def identify(
    repo: InstanceRepo,
    settings: ServerSettings,
    client_host: str | None,
    headers: dict[str, str],
) -> Caller | Refusal:
    """The caller's instance, or why not. ``headers`` has lowercase names.

    With a proxy secret configured, a request carrying X-Instance-ID must carry a valid
    signature (missing: 400, wrong: 403). Without a secret the proxy headers are ignored, so
    nobody can claim another instance's identity by sending them.
    """
    instance_id = headers.get(INSTANCE_ID_HEADER)
    secret = settings.proxy_shared_secret
    if secret is not None and instance_id is not None:
        signature = headers.get(SIGNATURE_HEADER)
        if not signature:
            return Refusal(400, "proxy request without X-Instance-ID-Signature")
        expected = sign_instance_id(secret.reveal(), instance_id)
        if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            return Refusal(403, "bad X-Instance-ID-Signature")
        ref = repo.ref_by_id(instance_id)
        if ref is None:
            return Refusal(404, "signed instance id is unknown")
        return Caller(ref, tenant=headers.get(TENANT_HEADER), via="signature")
    addr, via = caller_address(client_host, headers, settings)
    if addr is None:
        return Refusal(404, "no usable source address")
    ref = repo.ref_by_address(addr)
    if ref is None:
        return Refusal(404, "no instance has the source address")
    return Caller(ref, via=via)
