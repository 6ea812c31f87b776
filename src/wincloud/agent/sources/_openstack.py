"""The OpenStack format, read from any Tree (HTTP service or config drive): the mirror image
of ``tree/openstack.py``. Pure: everything it knows comes from ``tree.read``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from wincloud.agent.bounded import parse_json
from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.tree import Tree
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

log = logging.getLogger(__name__)

LATEST: Final = "latest"
MAX_JSON_VALUES: Final = 1_000_000
"""An upper bound on the values of one JSON document, counted before it is parsed as its
``[``, ``{`` and ``,`` bytes (inside strings too: an overcount, never an undercount). Parsed
first, 16 MiB of ``[],[],…`` (an HTTP answer's bound) took 7.5 s and 830 MB, 64 MiB (a drive
file's) 31 s and 3.2 GB."""


def read_json(tree: Tree, path: str) -> Any:
    """Parsed JSON, or None when the path is absent or empty (Proxmox writes an empty
    ``vendor_data.json``)."""
    raw = tree.read(path)
    if raw is None or not raw.strip():
        return None
    if raw.count(b"[") + raw.count(b"{") + raw.count(b",") > MAX_JSON_VALUES:
        raise InvalidMetadata(
            f"more than {MAX_JSON_VALUES} JSON values", subject=f"{tree.where}/{path}"
        )
    return parse_json(raw, subject=f"{tree.where}/{path}")


def find_version(tree: Tree) -> str | None:
    """``latest`` when the tree has it, else the newest dated version that has meta_data.json."""
    if tree.read(f"openstack/{LATEST}/meta_data.json") is not None:
        return LATEST
    dated = sorted((v.rstrip("/") for v in tree.children("openstack")), reverse=True)
    for version in dated:
        if version[:1].isdigit() and tree.read(f"openstack/{version}/meta_data.json") is not None:
            return version
    return None


def _field(doc: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = doc.get(key)
    if value is not None and not isinstance(value, kind):
        raise InvalidMetadata(f"{key} must be a {kind.__name__}", subject=where)
    return value


def _public_keys(doc: Mapping[str, Any], where: str) -> dict[str, str]:
    keys = _field(doc, "public_keys", dict, where)
    if keys is not None:
        if not all(isinstance(v, str) for v in keys.values()):
            raise InvalidMetadata("public_keys values must be strings", subject=where)
        return {str(name): value.strip() for name, value in keys.items()}
    out: dict[str, str] = {}
    for index, item in enumerate(_field(doc, "keys", list, where) or []):
        if not isinstance(item, dict) or not isinstance(item.get("data"), str):
            raise InvalidMetadata(f"keys[{index}].data must be a string", subject=where)
        if item.get("type", "ssh") == "ssh":
            out[str(item.get("name", index))] = item["data"].strip()
    return out


def _files(tree: Tree, doc: Mapping[str, Any], where: str) -> dict[str, bytes]:
    """Injected files; a missing content file is logged and skipped (one bad file must not
    cost the whole source)."""
    out: dict[str, bytes] = {}
    for index, item in enumerate(_field(doc, "files", list, where) or []):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("path", "content_path")
        ):
            raise InvalidMetadata(f"files[{index}] needs path and content_path", subject=where)
        problem = _injected_path_problem(item["path"], item["content_path"])
        if problem is not None:
            log.warning(
                "injected file skipped reason=%s path=%r content_path=%r where=%s",
                problem,
                item["path"][:200],
                item["content_path"][:200],
                tree.where,
            )
            continue
        content = tree.read("openstack/" + item["content_path"].lstrip("/"))
        if content is None:
            log.warning(
                "injected file missing path=%s content_path=%s where=%s",
                item["path"],
                item["content_path"],
                tree.where,
            )
            continue
        out[item["path"]] = content
    return out


def _injected_path_problem(path: str, content_path: str) -> str | None:
    """Why one injected file cannot be used (None when it can): its guest path must be
    absolute, both paths free of '.', '..', NUL and line breaks."""
    for value in (path, content_path):
        if any(ch in value for ch in "\0\r\n"):
            return "control-character"
        if any(part in {".", ".."} for part in value.replace("\\", "/").split("/")):
            return "dot-segment"
    if not (path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/")):
        return "relative-path"
    return None


def read_network_config(tree: Tree) -> tuple[str, str] | None:
    """``(where, text)`` of the file ``meta_data.json`` names in
    ``network_config.content_path`` (a Debian interfaces file: Proxmox's configdrive2, Nova's
    old injected network template); None when it names none. A file that is missing, too
    large or not UTF-8 is logged and left out: the rest of the drive is still used."""
    version = find_version(tree)
    if version is None:
        return None
    doc = read_json(tree, f"openstack/{version}/meta_data.json")
    config = doc.get("network_config") if isinstance(doc, dict) else None
    path = config.get("content_path") if isinstance(config, dict) else None
    if not isinstance(path, str) or not path.strip():
        return None
    from wincloud.agent.sources._eni import MAX_BYTES

    where = f"{tree.where}/openstack/{path.lstrip('/')}"
    problem = _injected_path_problem("/network_config", path)
    raw = None if problem else tree.read("openstack/" + path.lstrip("/"))
    if raw is not None and len(raw) > MAX_BYTES:
        problem = f"larger-than-{MAX_BYTES}-bytes"
    elif raw is None and problem is None:
        problem = "missing"
    if problem is None and raw is not None:
        try:
            return where, raw.decode("utf-8")
        except UnicodeDecodeError:
            problem = "not-utf-8"
    log.warning("network config file left out reason=%s content_path=%r", problem, path[:200])
    return None


def parse_openstack(tree: Tree, *, source: str) -> InstanceMetadata:
    """Read the newest OpenStack version the tree offers into InstanceMetadata."""
    version = find_version(tree)
    if version is None:
        raise InvalidMetadata(
            "no openstack/<version>/meta_data.json", subject=tree.where, hint="is this OpenStack?"
        )
    base = f"openstack/{version}"
    where = f"{tree.where}/{base}/meta_data.json"
    doc = read_json(tree, f"{base}/meta_data.json")
    if not isinstance(doc, dict):
        raise InvalidMetadata("meta_data.json is not a JSON object", subject=where)
    uuid = _field(doc, "uuid", str, where)
    if not uuid:
        raise InvalidMetadata("uuid is missing", subject=where)
    meta = _field(doc, "meta", dict, where) or {}
    admin_pass = _field(doc, "admin_pass", str, where)
    network = read_json(tree, f"{base}/network_data.json")
    if network is not None and not isinstance(network, dict):
        raise InvalidMetadata("not a JSON object", subject=f"{tree.where}/{base}/network_data.json")
    launch_index = _field(doc, "launch_index", int, where)
    return InstanceMetadata(
        instance_id=uuid,
        source=source,
        where=tree.where,
        hostname=_field(doc, "hostname", str, where),
        name=_field(doc, "name", str, where),
        public_keys=_public_keys(doc, where),
        admin_pass=Secret(admin_pass) if admin_pass else None,
        user_data=tree.read(f"{base}/user_data"),
        vendor_data=read_json(tree, f"{base}/vendor_data.json"),
        vendor_data2=read_json(tree, f"{base}/vendor_data2.json"),
        network_data=network or None,
        meta={str(k): str(v) for k, v in meta.items()},
        files=_files(tree, doc, where),
        availability_zone=_field(doc, "availability_zone", str, where),
        project_id=_field(doc, "project_id", str, where),
        launch_index=launch_index,
    )
