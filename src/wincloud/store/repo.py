"""The InstanceRepo protocol: what the metadata service and the CLI need from the store.

The SQL implementation is ``wincloud.store.sql.SqlInstanceRepo`` (``open_repo``).

Instances are addressed by uuid (any spelling ``uuid.UUID`` accepts). For the CLI's
convenience, ``get`` and ``remove`` also accept an instance *name* when exactly one instance
has it (a name several instances share is a ConfigError asking for the uuid); the lookups the
metadata service uses (``ref_by_id``, ``store_password``, ``get_password``) take uuids only.
Every write is one transaction: on any error nothing of it is stored and the previous record
stays intact.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv6Address
from typing import TYPE_CHECKING, Protocol

from wincloud.model import Instance

if TYPE_CHECKING:
    from wincloud.store.reports import ReportStore


@dataclass(frozen=True)
class InstanceRef:
    """Which instance, and which version of its record (cache key for rendered trees).

    ``incarnation`` tells a removed record from one added again under the same uuid (both
    start at revision 1): it is the record's creation time as the database holds it. It is
    left out of ``==`` so that refs compare by (uuid, revision); caches compare it explicitly.
    """

    uuid: str
    revision: int
    incarnation: str = field(default="", compare=False)


@dataclass(frozen=True)
class StoredInstance:
    instance: Instance
    revision: int
    updated_at: datetime
    has_password: bool = False  # whether the instance has posted its encrypted password


class InstanceRepo(Protocol):
    """What the metadata service and the CLI need from the store."""

    def ref_by_address(self, ip: IPv4Address | IPv6Address) -> InstanceRef | None:
        """The instance one of whose addresses is ``ip`` (one indexed query)."""
        ...

    def ref_by_id(self, instance_id: str) -> InstanceRef | None: ...

    def get(self, instance_id: str) -> StoredInstance | None: ...

    def list(self) -> list[StoredInstance]: ...

    def add(self, instance: Instance) -> StoredInstance:
        """Store a new instance (revision 1); ConfigError if its uuid or an address is taken."""
        ...

    def update(self, instance: Instance) -> StoredInstance:
        """Replace the record (revision + 1, addresses replaced, password kept); NotFound."""
        ...

    def remove(self, instance_id: str) -> bool:
        """Delete the instance, its addresses and password; False if there was none."""
        ...

    def store_password(
        self, instance_id: str, ciphertext: bytes, *, timeout: float | None = None
    ) -> bool:
        """Write-once: False if a password is already set; NotFound if no such instance;
        StoreError (nothing stored) when the database is busy for longer than ``timeout``."""
        ...

    def get_password(self, instance_id: str) -> bytes | None: ...

    def clear_password(self, instance_id: str) -> bool:
        """Forget the posted password; False if none was set; NotFound if no such instance."""
        ...

    @property
    def reports(self) -> ReportStore:
        """Guest reports (``store(id, kind, body)``, ``get(id, kind)``)."""
        ...

    def health(self, *, timeout: float = ...) -> str | None:
        """None when the store can serve, else a one-line reason (quick; answered within
        ``timeout`` seconds even when the database hangs)."""
        ...

    def close(self) -> None: ...


def address_key(ip: IPv4Address | IPv6Address) -> str:
    """The canonical text an address is stored and looked up as: IPv6 compressed without a
    zone, IPv4-mapped IPv6 (``::ffff:10.0.0.5``, from dual-stack sockets) as plain IPv4."""
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        if ip.scope_id is not None:
            return str(IPv6Address(int(ip)))
    return str(ip)


def canonical_uuid(text: str) -> str | None:
    try:
        return str(uuidlib.UUID(text.strip()))
    except ValueError:
        return None
