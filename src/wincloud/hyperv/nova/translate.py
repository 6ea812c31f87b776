"""Nova's objects as the plain records ``plan`` works on (reads only; decides nothing)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from nova import exception
from nova.virt import configdrive, driver

from wincloud.errors import ImageError, VmNotFound
from wincloud.hyperv.nova.plan import Flavor, ImageFacts, Nic, SpawnRequest


def image_facts(image_meta: Any) -> ImageFacts:
    props = image_meta.properties
    has = image_meta.obj_attr_is_set
    return ImageFacts(
        image_id=str(image_meta.id),
        disk_format=str(image_meta.disk_format) if has("disk_format") else "",
        size_bytes=int(image_meta.size or 0) if has("size") else 0,
        machine_type=props.get("hw_machine_type"),
        secure_boot=props.get("os_secure_boot"),
    )


def image_facts_from_dict(image: dict[str, Any]) -> ImageFacts:
    props = image.get("properties") or {}
    return ImageFacts(
        image_id=str(image["id"]),
        disk_format=str(image.get("disk_format") or ""),
        size_bytes=int(image.get("size") or 0),
        machine_type=props.get("hw_machine_type"),
        secure_boot=props.get("os_secure_boot"),
    )


def spawn_request(
    instance: Any, image: ImageFacts, network_info: Any, block_device_info: Any
) -> SpawnRequest:
    flavor = instance.flavor
    ephemerals = driver.block_device_info_get_ephemerals(block_device_info)
    return SpawnRequest(
        name=instance.name,
        instance_uuid=instance.uuid,
        flavor=Flavor(
            vcpus=flavor.vcpus,
            memory_mb=flavor.memory_mb,
            root_gb=flavor.root_gb,
            ephemeral_gb=flavor.ephemeral_gb,
        ),
        image=image,
        nics=[
            Nic(port_id=vif["id"], mac=str(vif["address"]).lower()) for vif in network_info or []
        ],
        ephemeral_gb=[int(e["size"]) for e in ephemerals],
        config_drive=bool(configdrive.required_by(instance)),
    )


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


@contextlib.contextmanager
def nova_errors(instance: Any, image_id: str | None = None) -> Iterator[None]:
    """Our errors where Nova expects its own: a missing VM, an unusable image."""
    try:
        yield
    except VmNotFound as exc:
        raise exception.InstanceNotFound(instance_id=instance.uuid) from exc
    except ImageError as exc:
        reason = f"{exc} ({exc.hint})" if exc.hint else str(exc)
        raise exception.ImageUnacceptable(image_id=image_id or "", reason=reason) from exc
