"""The OpenStack format: meta_data.json and friends, per version."""

from __future__ import annotations

import json
from typing import Any

from wincloud.model import Instance
from wincloud.tree import versions as v


def dump_json(data: Any) -> bytes:
    """JSON as Nova writes it (``json.dumps`` defaults). NaN never gets here: the model
    refuses it, and ``allow_nan=False`` would rather fail than write what is not JSON."""
    return json.dumps(data, separators=(", ", ": "), allow_nan=False).encode()


def devices(listed: list[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    """``devices`` as Nova shows them in ``version``: a nic's ``vlan`` from 2017-02-22 and
    ``vf_trusted`` (false when unset) from 2018-08-27, both first as Nova puts them; a nic
    with neither those nor ``tags`` is left out; ``share`` devices only from 2025-04-04.
    Other entries are served as given."""
    out = []
    for device in listed:
        kind = device.get("type")
        if kind == "share" and not v.since(version, v.DEVICE_SHARE_SINCE):
            continue
        if kind != "nic":
            out.append(dict(device))
            continue
        nic: dict[str, Any] = {}
        if v.since(version, v.DEVICE_VLAN_SINCE) and device.get("vlan") is not None:
            nic["vlan"] = device["vlan"]
        if v.since(version, v.DEVICE_VF_TRUSTED_SINCE):
            nic["vf_trusted"] = device.get("vf_trusted", False)
        if not nic and "tags" not in device:
            continue
        nic.update((k, item) for k, item in device.items() if k not in {"vlan", "vf_trusted"})
        out.append(nic)
    return out


def meta_data(instance: Instance, version: str, *, for_drive: bool) -> dict[str, Any]:
    """meta_data.json for one version. ``admin_pass`` and ``files`` go on drives only."""
    md: dict[str, Any] = {"uuid": instance.uuid, "meta": dict(instance.meta)}
    if for_drive and instance.files:
        md["files"] = [
            {"path": f.path, "content_path": f"/content/{index:04d}"}
            for index, f in enumerate(instance.files)
        ]
    if for_drive and instance.admin_pass is not None:
        md["admin_pass"] = instance.admin_pass.get_secret_value()
    keys = instance.published_keys
    if keys:
        md["public_keys"] = keys
        md["keys"] = [{"name": name, "type": "ssh", "data": key} for name, key in keys.items()]
    md["hostname"] = instance.hostname
    md["name"] = instance.name
    md["launch_index"] = instance.launch_index
    md["availability_zone"] = instance.availability_zone
    if v.since(version, v.RANDOM_SEED_SINCE) and instance.random_seed is not None:
        md["random_seed"] = instance.random_seed
    if v.since(version, v.PROJECT_ID_SINCE):
        md["project_id"] = instance.project_id
    if v.since(version, v.DEVICES_SINCE):
        md["devices"] = devices(instance.devices, version)
    if v.since(version, v.DEDICATED_CPUS_SINCE):
        md["dedicated_cpus"] = list(instance.dedicated_cpus)
    return md


def network_data(instance: Instance) -> dict[str, Any]:
    return instance.network_data.render() if instance.network_data is not None else {}


def version_files(instance: Instance, version: str, *, for_drive: bool) -> dict[str, bytes]:
    """The files of ``openstack/<version>/`` in Nova's listing order (password excluded:
    it is dynamic and served by the HTTP service only)."""
    files = {"meta_data.json": dump_json(meta_data(instance, version, for_drive=for_drive))}
    if instance.user_data is not None:
        files["user_data"] = instance.user_data
    if v.since(version, v.VENDOR_DATA_SINCE):
        files["vendor_data.json"] = dump_json(instance.vendor_data)
    if v.since(version, v.NETWORK_DATA_SINCE):
        files["network_data.json"] = dump_json(network_data(instance))
    if v.since(version, v.VENDOR_DATA2_SINCE):
        files["vendor_data2.json"] = dump_json({"static": instance.vendor_data})
    return files


def listing(instance: Instance, version: str) -> list[str]:
    """What ``GET /openstack/<version>`` lists, password included where the version has it."""
    names = ["meta_data.json"]
    if instance.user_data is not None:
        names.append("user_data")
    if v.since(version, v.PASSWORD_SINCE):
        names.append("password")
    for name, introduced in (
        ("vendor_data.json", v.VENDOR_DATA_SINCE),
        ("network_data.json", v.NETWORK_DATA_SINCE),
        ("vendor_data2.json", v.VENDOR_DATA2_SINCE),
    ):
        if v.since(version, introduced):
            names.append(name)
    return names
