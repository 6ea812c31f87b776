"""Import from Nova what licence accounting needs: where each server runs, its flavor's vCPUs,
project and image (and the image's ``os_type``), and the hypervisors' CPU topology.

``read_nova`` talks to the cloud through openstacksdk (compute API microversion 2.87: servers
embed their flavor, hypervisors still show ``cpu_info``); ``sync`` applies what it read to the
store: records of servers the store knows get ``host``, ``vcpus``, ``instance_type``,
``image_id``, ``project_id`` and ``meta.os_type`` updated (the history triggers record moves
and resizes); servers the store does not know are added as address-less records only with
``add_missing`` (so the metadata service never identifies a guest by them); records of
servers Nova no longer lists are removed only with ``prune``. Hosts missing from the inventory
are added from their topology; hosts already there are left as the operator set them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from wincloud.errors import ConfigError, SourceUnavailable
from wincloud.model import parse_instance
from wincloud.store.hosts import Host

log = logging.getLogger(__name__)

COMPUTE_API_VERSION: Final = "2.87"
_HYPERVISOR_TYPES: Final = {"qemu": "kvm", "kvm": "kvm", "hyperv": "hyperv", "xen": "xen"}
_LABEL: Final = re.compile(r"[^A-Za-z0-9-]+")


@dataclass(frozen=True)
class NovaServer:
    uuid: str
    name: str
    project_id: str
    host: str | None
    vcpus: int | None
    flavor: str | None
    image_id: str
    os_type: str | None


@dataclass
class SyncResult:
    updated: int = 0
    unchanged: int = 0
    added: int = 0
    removed: int = 0
    not_in_store: list[str] = field(default_factory=list)
    hosts_added: list[str] = field(default_factory=list)
    hosts_without_topology: list[str] = field(default_factory=list)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _server(raw: Any, os_types: dict[str, str | None]) -> NovaServer:
    flavor = _get(raw, "flavor") or {}
    image = _get(raw, "image") or {}
    image_id = str(_get(image, "id") or "")
    vcpus = _get(flavor, "vcpus")
    return NovaServer(
        uuid=str(_get(raw, "id")),
        name=str(_get(raw, "name") or _get(raw, "id")),
        project_id=str(_get(raw, "project_id") or ""),
        host=_get(raw, "compute_host") or None,
        vcpus=int(vcpus) if isinstance(vcpus, int) and vcpus > 0 else None,
        flavor=_get(flavor, "original_name") or _get(flavor, "name"),
        image_id=image_id,
        os_type=os_types.get(image_id),
    )


def _topology(raw: Any) -> tuple[int, int] | None:
    """(sockets, cores per socket) from a hypervisor's cpu_info (libvirt: a topology with
    sockets per NUMA cell, cores, threads, and the number of cells)."""
    info = _get(raw, "cpu_info")
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            return None
    topology = info.get("topology") if isinstance(info, dict) else None
    if not isinstance(topology, dict):
        return None
    sockets, cores = topology.get("sockets"), topology.get("cores")
    cells = topology.get("cells", 1)
    if not (_positive(sockets) and _positive(cores) and _positive(cells)):
        return None
    return sockets * cells, cores


def _positive(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_nova(conn: Any) -> tuple[list[NovaServer], list[tuple[str, Host | None]]]:
    """Servers (all projects) and hypervisors ((service host, Host or None without a
    topology)) from an openstacksdk Connection."""
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    try:
        raw_servers = list(conn.compute.servers(details=True, all_projects=True))
        os_types: dict[str, str | None] = {}
        for image_id in {str(_get(_get(s, "image") or {}, "id") or "") for s in raw_servers}:
            if image_id:
                os_types[image_id] = _image_os_type(conn, image_id)
        clusters: dict[str, str] = {}
        for aggregate in conn.compute.aggregates():
            for member in _get(aggregate, "hosts") or []:
                clusters.setdefault(member, str(_get(aggregate, "name")))
        hypervisors = []
        for raw in conn.compute.hypervisors(details=True):
            service = _get(raw, "service_details") or {}
            name = str(_get(service, "host") or _get(raw, "name"))
            shape = _topology(raw)
            kind = str(_get(raw, "hypervisor_type") or "").lower()
            host = None
            if shape is not None:
                host = Host(
                    hostname=name,
                    sockets=shape[0],
                    cores_per_socket=shape[1],
                    cluster=clusters.get(name),
                    hypervisor=_HYPERVISOR_TYPES.get(
                        kind, "vmware" if "vmware" in kind else "other"
                    ),
                )
            hypervisors.append((name, host))
    except (SDKException, ClientException) as exc:
        raise SourceUnavailable(
            f"cannot read from Nova ({exc.__class__.__name__}: {str(exc)[:200]})",
            subject="nova",
            hint="check the cloud's credentials (clouds.yaml or OS_* variables) and that they "
            "have the admin role (servers of all projects, hypervisors)",
        ) from None
    return [_server(s, os_types) for s in raw_servers], hypervisors


def _image_os_type(conn: Any, image_id: str) -> str | None:
    from openstack.exceptions import NotFoundException

    try:
        image = conn.image.get_image(image_id)
    except NotFoundException:
        return None  # a deleted image: its servers keep running
    value = _get(image, "os_type")
    return str(value) if value else None


def _hostname(name: str) -> str:
    label = _LABEL.sub("-", name).strip("-")[:63].strip("-")
    return label or "instance"


def sync(
    repo: Any,
    servers: Iterable[NovaServer],
    hypervisors: Iterable[tuple[str, Host | None]],
    *,
    add_missing: bool = False,
    prune: bool = False,
) -> SyncResult:
    """Apply what Nova said to the store (see the module's description)."""
    result = SyncResult()
    seen = set()
    for server in servers:
        seen.add(server.uuid)
        stored = repo.get(server.uuid)
        if stored is None:
            if not add_missing:
                result.not_in_store.append(server.uuid)
                continue
            record = {
                "uuid": server.uuid,
                "name": server.name[:255],
                "hostname": _hostname(server.name),
                "project_id": server.project_id,
                "host": server.host,
                "vcpus": server.vcpus,
                "instance_type": server.flavor or "unknown",
                "image_id": server.image_id,
                "meta": {"os_type": server.os_type} if server.os_type else {},
            }
            try:
                repo.add(parse_instance(record, source=f"nova server {server.uuid}"))
            except ConfigError as err:
                log.warning("nova server not imported uuid=%s reason=%s", server.uuid, err)
                continue
            result.added += 1
            continue
        current = stored.instance
        meta = dict(current.meta)
        if server.os_type:
            meta["os_type"] = server.os_type
        changes = {
            "host": server.host,
            "vcpus": server.vcpus,
            "instance_type": server.flavor or current.instance_type,
            "image_id": server.image_id,
            "project_id": server.project_id,
            "meta": meta,
        }
        if all(getattr(current, key) == value for key, value in changes.items()):
            result.unchanged += 1
            continue
        source = f"nova server {server.uuid}"
        try:
            updated = parse_instance({**current.to_document(reveal=True), **changes}, source=source)
        except ConfigError as err:
            log.warning("nova server not applied uuid=%s reason=%s", server.uuid, err)
            continue
        repo.update(updated)
        result.updated += 1
    if prune:
        for stored in repo.list():
            if stored.instance.uuid not in seen:
                repo.remove(stored.instance.uuid)
                result.removed += 1
    known = {host.hostname for host in repo.hosts.list()}
    for name, host in hypervisors:
        if host is None:
            result.hosts_without_topology.append(name)
        elif name not in known:
            repo.hosts.add(host)
            result.hosts_added.append(name)
    return result
