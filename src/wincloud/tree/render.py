"""One renderer, two shells: the HTTP service's tree and the config drive's files.

Both come from the same per-version functions (``openstack.py``, ``ec2.py``), so what a guest
reads over HTTP and from a drive can only differ where Nova differs (admin_pass and injected
files are drive-only; the password is dynamic and HTTP-only).
"""

from __future__ import annotations

from wincloud.model import Instance
from wincloud.tree import ec2, openstack
from wincloud.tree.openstack import dump_json
from wincloud.tree.versions import (
    EC2_DRIVE_VERSIONS,
    EC2_VERSIONS,
    LATEST,
    OPENSTACK_VERSIONS,
)

OPENSTACK_ALL = (*OPENSTACK_VERSIONS, LATEST)
EC2_ALL = (*EC2_VERSIONS, LATEST)


def _lines(names: tuple[str, ...] | list[str]) -> bytes:
    return "\n".join(names).encode()


def render_drive(instance: Instance) -> dict[str, bytes]:
    """The config-2 drive's files: relative path -> content."""
    files: dict[str, bytes] = {}
    for version in OPENSTACK_ALL:
        for name, data in openstack.version_files(instance, version, for_drive=True).items():
            files[f"openstack/{version}/{name}"] = data
    for index, injected in enumerate(instance.files):
        files[f"openstack/content/{index:04d}"] = injected.content
    for version in (*EC2_DRIVE_VERSIONS, LATEST):
        meta = ec2.meta_data(instance, version, for_drive=True)
        files[f"ec2/{version}/meta-data.json"] = dump_json(meta)
        if instance.user_data is not None:
            files[f"ec2/{version}/user-data"] = instance.user_data
    return files


def render_http(instance: Instance) -> dict[str, bytes]:
    """Every path the HTTP service answers for this instance, directories included as their
    listings. Paths have no leading or trailing slash; the EC2 root is ``""``."""
    tree: dict[str, bytes] = {"": _lines(EC2_ALL), "openstack": _lines(OPENSTACK_ALL)}
    for version in EC2_ALL:
        has_user_data = instance.user_data is not None
        tree[version] = _lines(["meta-data/", "user-data"] if has_user_data else ["meta-data/"])
        ec2.flatten(ec2.meta_data(instance, version), f"{version}/meta-data", tree)
        if instance.user_data is not None:
            tree[f"{version}/user-data"] = instance.user_data
    for version in OPENSTACK_ALL:
        tree[f"openstack/{version}"] = _lines(openstack.listing(instance, version))
        for name, data in openstack.version_files(instance, version, for_drive=False).items():
            tree[f"openstack/{version}/{name}"] = data
    return tree


def render_tree(instance: Instance) -> dict[str, bytes]:
    """DESIGN.md's shared renderer: the drive layout, which the agent's MemoryTree reads."""
    return render_drive(instance)
