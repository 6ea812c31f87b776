"""NoCloud: ``meta-data`` (YAML), ``user-data`` and ``vendor-data`` from a seed directory, or
from a volume labelled ``cidata`` read without mounting it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources._labelled import DriveDirTree
from wincloud.agent.sources.base import (
    MAX_PUBLIC_KEYS,
    SourceDeps,
    checked_instance_id,
    key_lines,
    too_many_keys,
)
from wincloud.agent.tree import DriveTree, FilesTree, Tree
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable

log = logging.getLogger(__name__)


def _yaml(tree: Tree, path: str) -> Any:
    from wincloud.agent.sources._yamldoc import parse_document

    raw = tree.read(path)
    if raw is None:
        return None
    return parse_document(raw, subject=f"{tree.where}/{path}")


def _text(tree: Tree, path: str) -> str | None:
    """A file in user-data format (``vendor-data``: a ``#cloud-config`` document, a script or
    MIME), kept as text for the cloudconfig plugin to parse like user data."""
    raw = tree.read(path)
    if raw is None or not raw.strip():  # Proxmox writes an empty one
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMetadata("not UTF-8 text", subject=f"{tree.where}/{path}") from None


def public_keys_from(value: Any, where: str) -> dict[str, str]:
    """cloud-init accepts a string, a list of strings, or a mapping name -> key(s); at most
    ``MAX_PUBLIC_KEYS`` of them."""
    if value is None:
        return {}
    if isinstance(value, str):
        value = list(key_lines(value, where=where))
    if isinstance(value, list):
        value = {str(index): key for index, key in enumerate(value)}
    if not isinstance(value, dict):
        raise InvalidMetadata("public-keys must be a string, list or mapping", subject=where)
    keys: dict[str, str] = {}
    for name, item in value.items():
        for index, key in enumerate(item if isinstance(item, list) else [item]):
            if not isinstance(key, str):
                raise InvalidMetadata("public-keys entries must be strings", subject=where)
            keys[str(name) if index == 0 else f"{name}-{index}"] = key.strip()
            if len(keys) > MAX_PUBLIC_KEYS:
                raise too_many_keys(where)
    return keys


def _network(tree: Tree) -> dict[str, Any] | None:
    """``network-config`` (cloud-init v1/v2, as Proxmox writes it) as Nova network_data."""
    doc = _yaml(tree, "network-config")
    if doc is None:
        return None
    from wincloud.agent.sources._netconfig import network_data_from_config

    return network_data_from_config(doc, where=f"{tree.where}/network-config")


def parse_nocloud(tree: Tree, *, source: str) -> InstanceMetadata:
    where = f"{tree.where}/meta-data"
    doc = _yaml(tree, "meta-data")
    if not isinstance(doc, dict):
        raise InvalidMetadata("meta-data is missing or not a mapping", subject=where)
    instance_id = doc.get("instance-id")
    if not isinstance(instance_id, str | int) or not str(instance_id):
        raise InvalidMetadata("instance-id is missing", subject=where)
    hostname = doc.get("local-hostname") or doc.get("hostname")
    if hostname is not None and not isinstance(hostname, str):
        raise InvalidMetadata("local-hostname must be a string", subject=where)
    return InstanceMetadata(
        instance_id=checked_instance_id(str(instance_id), where=where),
        source=source,
        where=tree.where,
        hostname=hostname,
        public_keys=public_keys_from(doc.get("public-keys"), where),
        user_data=tree.read("user-data"),
        vendor_data=_text(tree, "vendor-data"),
        network_data=_network(tree),
    )


class NoCloudSource:
    name: ClassVar[str] = "nocloud"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.config = deps.config.nocloud
        self.found: Tree | None = None

    @property
    def where(self) -> str:
        if self.found is not None:
            return self.found.where
        return " or ".join([*self.config.seed_dirs, f"volume labelled {self.config.label}"])

    def find(self) -> Tree | None:
        files = self.deps.platform.files
        try:
            for seed in self.config.seed_dirs:
                if files.read(seed.rstrip("/") + "/meta-data") is not None:
                    return FilesTree(files, seed)
            device: Path | None = self.deps.platform.volumes.find_labelled(self.config.label)
        except PlatformError as exc:
            raise SourceUnavailable(f"cannot look ({exc.message})", subject=self.where) from None
        if device is None:
            return None
        return (
            DriveDirTree(device)
            if device.is_dir()
            else DriveTree(device, reader=self.deps.read_drive)
        )

    def probe(self) -> bool:
        self.found = self.find()
        return self.found is not None

    def load(self) -> InstanceMetadata:
        if self.found is None and not self.probe():
            raise SourceUnavailable("no NoCloud seed", subject=self.where)
        assert self.found is not None
        return parse_nocloud(self.found, source=self.name)

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
