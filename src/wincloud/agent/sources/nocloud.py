"""NoCloud: ``meta-data`` (YAML), ``user-data`` and ``vendor-data`` from a seed directory, or
from a volume labelled ``cidata`` read without mounting it.

A user-data that is one ``#cloud-config`` document also gives cloud-init's "default user" keys,
as Proxmox VE writes them (qemu-server's ``cloudinit_userdata``): top-level ``user`` (the
``admin_username`` meta key, read by the users, password and ssh_keys plugins),
``password`` (the administrator's password; a crypt hash, as Proxmox writes it for every
guest whose ``ostype`` is not Windows, becomes ``admin_pass_hash`` for the password plugin)
and ``ssh_authorized_keys`` (public keys, after meta-data's). The password is never logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Final

from msgspec import Struct

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
from wincloud.secret import Secret

log = logging.getLogger(__name__)

CLOUD_CONFIG: Final = b"#cloud-config"
META_USERNAME: Final = "admin_username"


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


class DefaultUser(Struct, frozen=True):
    """cloud-init's default-user keys of a ``#cloud-config`` user-data."""

    username: str | None = None
    password: Secret | None = None
    password_hash: Secret | None = None
    keys: tuple[str, ...] = ()
    taken: tuple[str, ...] = ()
    """The keys of the document that gave these fields (a key left out is not listed)."""


def _not_a_string(key: str, value: Any, where: str) -> None:
    """Log a value YAML made into something else than text (``password: 0123`` is the number
    83): taking its text would be another value than the one written."""
    log.warning(
        "user-data key not applied reason=not-a-string key=%s kind=%s where=%s hint=quote it",
        key,
        type(value).__name__,
        where,
    )


def _string(doc: dict[Any, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    _not_a_string(key, value, where)
    return None


def _password(
    doc: dict[Any, Any], where: str, register: Callable[[str], None]
) -> tuple[Secret | None, Secret | None]:
    """(clear-text password, crypt hash): at most one of them."""
    password = _string(doc, "password", where)
    if not password:
        return None, None
    register(password)
    from wincloud.agent.userdata.cloudconfig import is_crypt_hash

    if is_crypt_hash(password):
        # Proxmox hashes cipassword for guests whose ostype is not Windows: the password
        # plugin sets it as a hash where the system takes one (POSIX), and refuses it by
        # name on Windows.
        return None, Secret(password)
    chpasswd = doc.get("chpasswd")
    if not isinstance(chpasswd, dict) or chpasswd.get("expire", True) is not False:
        log.info(
            "user-data asks the password to expire at first logon: not applied, "
            "password.change_at_first_logon decides where=%s",
            where,
        )
    return Secret(password), None


def default_user(
    tree: Tree,
    user_data: bytes | None,
    *,
    seen_keys: int = 0,
    register_secret: Callable[[str], None] = lambda value: None,
) -> DefaultUser:
    """``user``, ``password`` and ``ssh_authorized_keys`` of a ``#cloud-config`` user-data
    (anything else: none). A document that is not valid YAML is left to the cloudconfig
    plugin, which refuses it by name; a value that is not text is logged and left out; a user
    name holding a line break, or more than ``MAX_PUBLIC_KEYS`` keys (with the ``seen_keys``
    of meta-data), is InvalidMetadata."""
    body = (user_data or b"").removeprefix(b"\xef\xbb\xbf")
    if not body.startswith(CLOUD_CONFIG):
        return DefaultUser()
    where = f"{tree.where}/user-data"
    from wincloud.agent.sources._yamldoc import parse_document

    try:
        doc = parse_document(body, subject=where, what="cloud-config")
    except InvalidMetadata as exc:
        log.warning("user-data default user not read error=%s", exc.message)
        return DefaultUser()
    if not isinstance(doc, dict):
        return DefaultUser()
    user = doc.get("user")
    if isinstance(user, dict):  # cloud-init's other form: a mapping with a name
        username = _string(user, "name", where)
    else:
        username = _string(doc, "user", where)
    if username is not None and any(ch in username for ch in "\r\n\0"):
        raise InvalidMetadata("user holds a line break", subject=f"{where}: user")
    value = doc.get("ssh_authorized_keys")
    if value is not None and not isinstance(value, str | list):
        _not_a_string("ssh_authorized_keys", value, where)
        value = None
    keys: list[str] = []
    for index, item in enumerate([value] if isinstance(value, str) else value or []):
        if not isinstance(item, str):
            _not_a_string(f"ssh_authorized_keys[{index}]", item, where)
            continue
        at = f"{where}: ssh_authorized_keys"
        keys += key_lines(item, where=at, seen=seen_keys + len(keys))
    password, password_hash = _password(doc, where, register_secret)
    username = (username or "").strip() or None
    # Only the keys that gave a field: one logged as not applied above is no more "applied
    # through the source" in the cloudconfig plugin's log.
    given = {
        "user": username is not None,
        "password": password is not None or password_hash is not None,
        "ssh_authorized_keys": bool(keys),
    }
    return DefaultUser(
        username=username,
        password=password,
        password_hash=password_hash,
        keys=tuple(keys),
        taken=tuple(key for key, used in given.items() if used),
    )


def parse_nocloud(
    tree: Tree, *, source: str, register_secret: Callable[[str], None] = lambda value: None
) -> InstanceMetadata:
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
    keys = public_keys_from(doc.get("public-keys"), where)
    user_data = tree.read("user-data")
    default = default_user(tree, user_data, seen_keys=len(keys), register_secret=register_secret)
    known = set(keys.values())
    for index, key in enumerate(default.keys):
        if key not in known:
            keys[f"user-data-{index}"] = key
            known.add(key)
    return InstanceMetadata(
        instance_id=checked_instance_id(str(instance_id), where=where),
        source=source,
        where=tree.where,
        hostname=hostname,
        public_keys=keys,
        admin_pass=default.password,
        admin_pass_hash=default.password_hash,
        userdata_keys_taken=default.taken,
        meta={META_USERNAME: default.username} if default.username else {},
        user_data=user_data,
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
        return parse_nocloud(
            self.found, source=self.name, register_secret=self.deps.register_secret
        )

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
