"""Who is asking? The calling instance, from the source address or a signed proxy header.

Identification reads the service's in-memory index only (``InstanceIndex``), and by uuid or
canonical address only: never by name, so a record removed or renamed mid-request can never
make one instance's data reach another.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Literal

from wincloud.server.index import InstanceIndex
from wincloud.server.settings import ServerSettings
from wincloud.store import address_key, canonical_uuid
from wincloud.store.changes import IndexEntry

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


@dataclass(frozen=True, slots=True)
class Peer:
    """The connection's source, worked out once per connection."""

    key: str  # canonical text, as addresses are stored ("" when unusable)
    ip: IPv4Address | IPv6Address | None
    is_proxy: bool  # in trusted_proxies: its X-Forwarded-For is believed

    @classmethod
    def of(cls, host: str | None, settings: ServerSettings) -> Peer:
        ip = parse_ip(host) if host else None
        if ip is None:
            return cls("", None, False)
        return cls(address_key(ip), ip, is_in(ip, settings.trusted_proxies))


def sign_instance_id(secret: str, instance_id: str) -> str:
    """The proxy signature: lowercase hex HMAC-SHA256 of the instance id."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def parse_ip(text: str) -> IPv4Address | IPv6Address | None:
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


def is_in(addr: IPv4Address | IPv6Address, networks: tuple[object, ...]) -> bool:
    return any(addr in net for net in networks)  # type: ignore[operator]


def forwarded_client(
    peer: Peer, forwarded: str, settings: ServerSettings
) -> IPv4Address | IPv6Address | None:
    """The rightmost X-Forwarded-For address that is not itself a trusted proxy (whatever a
    client put on the left of the header is its own claim)."""
    for part in reversed(forwarded.split(",")):
        addr = parse_ip(part)
        if addr is None or not is_in(addr, settings.trusted_proxies):
            return addr
    return None


def identify(
    index: InstanceIndex, settings: ServerSettings, peer: Peer, headers: dict[str, str]
) -> tuple[IndexEntry, Via] | Refusal:
    """The caller's index entry and how it was told, or why not. ``headers`` has lowercase
    names.

    With a proxy secret configured, a request carrying X-Instance-ID must carry a valid
    signature (missing: 400, wrong: 403). Without a secret the proxy headers are ignored, so
    nobody can claim another instance's identity by sending them.
    """
    if headers:
        instance_id = headers.get(INSTANCE_ID_HEADER)
        secret = settings.proxy_shared_secret
        if secret is not None and instance_id is not None:
            return _signed(index, secret.reveal(), instance_id, headers)
        forwarded = headers.get(FORWARDED_HEADER)
        if forwarded is not None and peer.is_proxy:
            addr = forwarded_client(peer, forwarded, settings)
            if addr is None:
                return Refusal(404, "no usable X-Forwarded-For address")
            entry = index.by_addr(address_key(addr))
            if entry is None:
                return Refusal(404, "no instance has the forwarded address")
            return entry, "forwarded-for"
    entry = index.by_addr(peer.key)
    if entry is None:
        return Refusal(404, "no instance has the source address")
    return entry, "address"


@functools.lru_cache(maxsize=65536)
def _signed_uuid(secret: str, instance_id: str, signature: str) -> str | None:
    """The canonical uuid a valid signature vouches for ("" when the id is no uuid), or
    None for a wrong signature. Remembered: a proxy repeats the same pair for every request
    of an instance, and an HMAC costs more than the rest of the answer."""
    expected = sign_instance_id(secret, instance_id)
    given = signature.strip().lower().encode("ascii", "replace")
    if not hmac.compare_digest(expected.encode(), given):
        return None
    return canonical_uuid(instance_id) or ""


def _signed(
    index: InstanceIndex, secret: str, instance_id: str, headers: dict[str, str]
) -> tuple[IndexEntry, Via] | Refusal:
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        return Refusal(400, "proxy request without X-Instance-ID-Signature")
    uuid = _signed_uuid(secret, instance_id, signature)
    if uuid is None:
        return Refusal(403, "bad X-Instance-ID-Signature")
    entry = index.entries.get(uuid) if uuid else None
    if entry is None:
        return Refusal(404, "signed instance id is unknown")
    tenant = headers.get(TENANT_HEADER)
    if tenant is not None and tenant != entry.project_id:
        return Refusal(404, "X-Tenant-ID does not own the instance")
    return entry, "signature"
