"""The EC2 format: the meta-data tree per version, and how EC2 prints directories."""

from __future__ import annotations

from typing import Any

from wincloud.model import Instance
from wincloud.tree import versions as v

NAME_KEY = "_name"  # a directory's name in its parent's listing (public-keys: "0=mykey")


def meta_data(instance: Instance, version: str, *, for_drive: bool = False) -> dict[str, Any]:
    """The nested meta-data tree for one EC2 version, in Nova's key order. Without an IPv4
    address, ``local-ipv4`` is null on drives (as Nova writes it) and empty over HTTP."""
    ipv4 = instance.local_ipv4
    local_ipv4: str | None = str(ipv4) if ipv4 else ""
    if for_drive and not local_ipv4:
        local_ipv4 = None
    public_ipv4 = str(instance.public_ipv4) if instance.public_ipv4 else ""
    md: dict[str, Any] = {
        "ami-id": instance.ami_id,
        "ami-launch-index": instance.launch_index,
        "ami-manifest-path": "FIXME",
        "instance-id": instance.ec2_id,
        "hostname": instance.hostname,
        "local-ipv4": local_ipv4,
        "reservation-id": instance.reservation_id,
        "security-groups": list(instance.security_groups),
    }
    keys = instance.published_keys
    if keys:
        md["public-keys"] = {
            str(index): {NAME_KEY: f"{index}={name}", "openssh-key": key}
            for index, (name, key) in enumerate(keys.items())
        }
    if v.since(version, "2007-01-19"):
        md["local-hostname"] = instance.hostname
        md["public-hostname"] = instance.hostname
        md["public-ipv4"] = public_ipv4
    if v.since(version, "2007-08-29"):
        md["instance-type"] = instance.instance_type
    if v.since(version, "2007-12-15"):
        root = instance.root_device_name
        md["block-device-mapping"] = {"ami": root.removeprefix("/dev/"), "root": root}
    if v.since(version, "2008-02-01"):
        md["placement"] = {"availability-zone": instance.availability_zone}
    if v.since(version, "2008-09-01"):
        md["instance-action"] = "none"
    if v.since(version, "2009-04-04") and instance.macs:
        md["mac"] = instance.macs[0]
    return md


def render_listing(node: dict[str, Any]) -> bytes:
    """A directory as EC2 prints it: sorted names, sub-directories with a trailing '/',
    named sub-directories by their name (``0=mykey``), newline-joined."""
    lines = []
    for key in sorted(node):
        if key == NAME_KEY:
            continue
        child = node[key]
        if isinstance(child, dict):
            lines.append(child.get(NAME_KEY, f"{key}/"))
        else:
            lines.append(key)
    return "\n".join(lines).encode()


def render_value(value: Any) -> bytes:
    if isinstance(value, list):
        return "\n".join(str(item) for item in value).encode()
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def flatten(node: dict[str, Any], prefix: str, out: dict[str, bytes]) -> None:
    """Every directory and leaf under ``prefix`` as ``path -> bytes`` (no trailing slashes)."""
    out[prefix] = render_listing(node)
    for key, child in node.items():
        if key == NAME_KEY:
            continue
        path = f"{prefix}/{key}"
        if isinstance(child, dict):
            flatten(child, path, out)
        else:
            out[path] = render_value(child)
