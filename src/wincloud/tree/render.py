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


_OPENSTACK_SET = frozenset(OPENSTACK_ALL)
_EC2_SET = frozenset(EC2_ALL)
HTTP_PARTS = ("", *EC2_ALL, *(f"openstack/{version}" for version in OPENSTACK_ALL))


def http_part(path: str) -> str | None:
    """Which part of the HTTP tree holds ``path`` (a normalized path): ``""`` for the two
    roots, an EC2 version, or ``openstack/<version>``; None when no part can hold it."""
    if path in ("", "openstack"):
        return ""
    first, _, rest = path.partition("/")
    if first == "openstack":
        version = rest.partition("/")[0]
        return f"openstack/{version}" if version in _OPENSTACK_SET else None
    return first if first in _EC2_SET else None


def render_http_part(instance: Instance, part: str) -> dict[str, bytes]:
    """One part of ``render_http`` (see ``http_part``): the service renders a version only
    when a guest first asks for it."""
    if part == "":
        return {"": _lines(EC2_ALL), "openstack": _lines(OPENSTACK_ALL)}
    tree: dict[str, bytes] = {}
    if part.startswith("openstack/"):
        version = part.removeprefix("openstack/")
        tree[part] = _lines(openstack.listing(instance, version))
        for name, data in openstack.version_files(instance, version, for_drive=False).items():
            tree[f"{part}/{name}"] = data
        return tree
    has_user_data = instance.user_data is not None
    tree[part] = _lines(["meta-data/", "user-data"] if has_user_data else ["meta-data/"])
    ec2.flatten(ec2.meta_data(instance, part), f"{part}/meta-data", tree)
    if instance.user_data is not None:
        tree[f"{part}/user-data"] = instance.user_data
    return tree


def render_http(instance: Instance) -> dict[str, bytes]:
    """Every path the HTTP service answers for this instance, directories included as their
    listings. Paths have no leading or trailing slash; the EC2 root is ``""``."""
    tree: dict[str, bytes] = {}
    for part in HTTP_PARTS:
        tree.update(render_http_part(instance, part))
    return tree


def render_tree(instance: Instance) -> dict[str, bytes]:
    """DESIGN.md's shared renderer: the drive layout, which the agent's MemoryTree reads."""
    return render_drive(instance)
