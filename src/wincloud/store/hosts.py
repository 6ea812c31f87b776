"""Host inventory for licence accounting: the compute hosts, their physical topology and how
they are licensed. Kept with ``wincloud host`` and the admin API's ``/v1/hosts``."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from wincloud.errors import ConfigError, NotFound
from wincloud.store.engine import begin_write, translate_errors
from wincloud.store.tables import hosts

log = logging.getLogger(__name__)

HYPERVISORS: Final = ("hyperv", "kvm", "vmware", "xen", "other")
LICENCES: Final = ("standard", "datacenter")
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_FIELDS: Final = (
    "hostname",
    "sockets",
    "cores_per_socket",
    "cluster",
    "hypervisor",
    "licence",
    "licensed_vms",
)


@dataclass(frozen=True)
class Host:
    """One physical compute host. ``licence``: how the operator licensed it (None: not said);
    ``licensed_vms``: the Windows Server VMs its Standard licences cover (2 per full licensing
    of its cores under the default rules)."""

    hostname: str
    sockets: int
    cores_per_socket: int
    cluster: str | None = None
    hypervisor: str = "hyperv"
    licence: str | None = None
    licensed_vms: int | None = None

    @property
    def cores(self) -> int:
        return self.sockets * self.cores_per_socket

    def to_document(self) -> dict[str, Any]:
        return asdict(self)


def _bad(field: str, message: str, source: str) -> ConfigError:
    return ConfigError(
        f"invalid host, {field}: {message}",
        subject=source,
        hint="see docs/licensing.md#host-inventory for the host fields",
    )


def _count(data: Mapping[str, Any], field: str, source: str, *, low: int, high: int) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(field, f"must be a whole number from {low} to {high}", source)
    return value


def _name(value: Any, field: str, source: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise _bad(field, "letters, digits, '.', '_' and '-', 1-255, starting alphanumeric", source)
    return value


def parse_host(data: Mapping[str, Any], *, source: str = "host") -> Host:
    """Validate a host document (JSON from the API, options from the CLI); ConfigError."""
    unknown = sorted(set(data) - set(_FIELDS))
    if unknown:
        raise _bad(unknown[0], f"unknown field (known: {', '.join(_FIELDS)})", source)
    cluster = data.get("cluster")
    hypervisor = data.get("hypervisor", "hyperv")
    if hypervisor not in HYPERVISORS:
        raise _bad("hypervisor", f"one of {', '.join(HYPERVISORS)}", source)
    licence = data.get("licence")
    if licence is not None and licence not in LICENCES:
        raise _bad("licence", f"one of {', '.join(LICENCES)}, or null", source)
    licensed_vms = data.get("licensed_vms")
    if licensed_vms is not None:
        licensed_vms = _count(data, "licensed_vms", source, low=0, high=100_000)
    return Host(
        hostname=_name(data.get("hostname"), "hostname", source),
        sockets=_count(data, "sockets", source, low=1, high=64),
        cores_per_socket=_count(data, "cores_per_socket", source, low=1, high=1024),
        cluster=None if cluster is None else _name(cluster, "cluster", source),
        hypervisor=hypervisor,
        licence=licence,
        licensed_vms=licensed_vms,
    )


def _not_found(hostname: str) -> NotFound:
    return NotFound(
        "no such host in the inventory",
        subject=hostname,
        hint="wincloud host list shows the inventory; wincloud host add adds one",
    )


class HostStore:
    """The inventory on one engine; ``SqlInstanceRepo.hosts`` is one."""

    def __init__(self, engine: Engine, url: str, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._url = url
        self._clock = clock

    def list(self) -> list[Host]:
        query = sa.select(*(hosts.c[f] for f in _FIELDS)).order_by(hosts.c.hostname)
        with translate_errors(self._url, "list hosts"), self._engine.connect() as conn:
            return [Host(*row) for row in conn.execute(query).all()]

    def find(self, hostname: str) -> Host | None:
        query = sa.select(*(hosts.c[f] for f in _FIELDS)).where(hosts.c.hostname == hostname)
        with translate_errors(self._url, "read a host"), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return Host(*row) if row is not None else None

    def add(self, host: Host) -> Host:
        values = {**host.to_document(), "updated_at": self._clock()}
        with translate_errors(self._url, "add the host"):
            try:
                with begin_write(self._engine) as conn:
                    conn.execute(sa.insert(hosts).values(**values))
            except IntegrityError:
                raise ConfigError(
                    "the host is already in the inventory",
                    subject=host.hostname,
                    hint=f"to change it: wincloud host update {host.hostname} ...",
                ) from None
        log.info("host added hostname=%s cores=%d", host.hostname, host.cores)
        return host

    def replace(self, host: Host) -> Host:
        values = {**host.to_document(), "updated_at": self._clock()}
        with translate_errors(self._url, "update the host"), begin_write(self._engine) as conn:
            changed = conn.execute(
                sa.update(hosts).where(hosts.c.hostname == host.hostname).values(**values)
            ).rowcount
        if not changed:
            raise _not_found(host.hostname)
        log.info("host updated hostname=%s cores=%d", host.hostname, host.cores)
        return host

    def remove(self, hostname: str) -> None:
        with translate_errors(self._url, "remove the host"), begin_write(self._engine) as conn:
            gone = conn.execute(sa.delete(hosts).where(hosts.c.hostname == hostname)).rowcount
        if not gone:
            raise _not_found(hostname)
        log.info("host removed hostname=%s", hostname)
