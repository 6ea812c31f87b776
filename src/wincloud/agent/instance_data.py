"""The instance data the last run read, kept for ``wincloud agent query`` and ``collect-logs``.

Written through the platform (``/var/lib/wincloud/instance-data.json``, mode 0600, under
``--root``; ``C:\\ProgramData\\wincloud\\instance-data.json`` on Windows) after a source
answered. Passwords are never written: ``admin_pass`` (and the ``admin_pass`` meta key) become
``admin_pass_given: true``; injected files are listed by size only. User data and vendor data
are kept, and shown by ``query`` only when asked (``--all``): they may be private.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

from wincloud.errors import ConfigError, PlatformError

if TYPE_CHECKING:
    from wincloud.agent.metadata import InstanceMetadata
    from wincloud.platform import Platform

log = logging.getLogger(__name__)

VERSION: Final = 1
POSIX_PATH: Final = "/var/lib/wincloud/instance-data.json"
WINDOWS_PATH: Final = "C:\\ProgramData\\wincloud\\instance-data.json"
SENSITIVE: Final = ("user_data", "vendor_data", "vendor_data2")
_META_SECRETS: Final = frozenset({"admin_pass"})


def instance_data_path(platform: Platform) -> str:
    return WINDOWS_PATH if platform.family == "windows" else POSIX_PATH


def _bytes(data: bytes | None) -> dict[str, str] | None:
    if data is None:
        return None
    try:
        return {"encoding": "text", "data": data.decode("utf-8")}
    except UnicodeDecodeError:
        import base64

        return {"encoding": "base64", "data": base64.b64encode(data).decode("ascii")}


def render_instance_data(md: InstanceMetadata) -> dict[str, Any]:
    """The document as written: everything the agent read, passwords left out."""
    return {
        "version": VERSION,
        "instance_id": md.instance_id,
        "source": md.source,
        "where": md.where,
        "hostname": md.hostname,
        "name": md.name,
        "public_keys": dict(md.public_keys),
        "admin_pass_given": md.admin_pass is not None or "admin_pass" in md.meta,
        "meta": {k: v for k, v in md.meta.items() if k not in _META_SECRETS},
        "user_data": _bytes(md.user_data),
        "vendor_data": md.vendor_data,
        "vendor_data2": md.vendor_data2,
        "network_data": None if md.network_data is None else dict(md.network_data),
        "files": {path: len(data) for path, data in md.files.items()},
        "availability_zone": md.availability_zone,
        "project_id": md.project_id,
        "launch_index": md.launch_index,
        "local_ipv4": md.local_ipv4,
    }


def write_instance_data(platform: Platform, md: InstanceMetadata) -> None:
    """Best effort: a failure is logged; the run goes on (nothing depends on this file)."""
    path = instance_data_path(platform)
    # default=str: YAML sources (NoCloud vendor-data) may hold dates, which JSON has not.
    text = json.dumps(render_instance_data(md), indent=2, sort_keys=True, default=str)
    data = (text + "\n").encode()
    try:
        platform.files.write(path, data, mode=0o600)
    except PlatformError as exc:
        log.warning("instance data not written path=%s error=%s", path, exc)


def read_instance_data(platform: Platform) -> dict[str, Any] | None:
    """The last run's document; None when no run wrote one."""
    raw = platform.files.read(instance_data_path(platform))
    if raw is None:
        return None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise ConfigError(
            "the instance data file is damaged or from another version",
            subject=instance_data_path(platform),
            hint="run the agent again (wincloud agent run) to rewrite it",
        )
    return doc


def redact(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with user data and vendor data replaced by a note of their size."""
    out = dict(doc)
    for key in SENSITIVE:
        value = out.get(key)
        if value is not None:
            size = len(json.dumps(value))
            out[key] = f"<redacted: {size} bytes of JSON; --all shows it>"
    return out


def lookup(doc: dict[str, Any], key: str) -> Any:
    """``hostname``, ``meta.role``, ``public_keys.mykey``, ``network_data.links.0.id``:
    ConfigError naming the first part that is not there."""
    value: Any = doc
    walked: list[str] = []
    for part in key.split("."):
        walked.append(part)
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise ConfigError(
                "no such key in the instance data",
                subject=".".join(walked),
                hint="wincloud agent query (no key) lists everything",
            )
    return value
