"""The cloud-config subset wincloud applies, parsed and checked as a whole before anything is
applied (a wrong document is an InvalidMetadata naming the key, and nothing happens).

Keys: ``write_files``, ``runcmd``, ``users``, ``groups``, ``hostname``/``fqdn``/
``preserve_hostname``/``prefer_fqdn_over_hostname`` (cloud-init) and ``set_hostname``
(cloudbase-init), ``timezone`` and ``set_timezone``, ``ntp``, ``chpasswd``. Other keys are
listed in ``unsupported`` and ignored. Pure: bytes in, a CloudConfig out (PyYAML, safe loader,
imported here only).
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from msgspec import Struct

from wincloud.agent.bounded import parse_yaml
from wincloud.agent.userdata.merge import SPEC_KEYS, Merger, merge_documents, parse_spec
from wincloud.agent.userdata.parts import Budget, Part, gunzip
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

ENCODINGS: Final = {
    "": (),
    "text/plain": (),
    "b64": ("b64",),
    "base64": ("b64",),
    "gz": ("gz",),
    "gzip": ("gz",),
    "gz+b64": ("b64", "gz"),
    "gz+base64": ("b64", "gz"),
    "gzip+b64": ("b64", "gz"),
    "gzip+base64": ("b64", "gz"),
}
KNOWN: Final = frozenset(
    {
        "write_files",
        "runcmd",
        "users",
        "groups",
        "hostname",
        "fqdn",
        "preserve_hostname",
        "prefer_fqdn_over_hostname",
        "set_hostname",
        "timezone",
        "set_timezone",
        "ntp",
        "chpasswd",
        "vendor_data",
    }
)
KEY_GROUPS: Final = (
    frozenset(
        {"hostname", "fqdn", "set_hostname", "preserve_hostname", "prefer_fqdn_over_hostname"}
    ),
    frozenset({"timezone", "set_timezone"}),
)
"""Keys that say one thing together: a user document that sets one overrides them all."""
_TYPES: Final[dict[str, Literal["text", "hash"]]] = {"text": "text", "hash": "hash"}
USER_KEYS: Final = frozenset(
    {"name", "groups", "ssh_authorized_keys", "plain_text_passwd", "passwd", "sudo"}
)


class WriteFile(Struct, frozen=True):
    path: str
    content: bytes
    permissions: int | None = None
    owner: str | None = None
    """The user part of ``owner: user:group``."""
    append: bool = False

    def __repr__(self) -> str:  # the content may be a secret: its size only
        return f"WriteFile(path={self.path!r}, content=<{len(self.content)} bytes>)"


class UserSpec(Struct, frozen=True):
    name: str
    groups: tuple[str, ...] = ()
    ssh_keys: tuple[str, ...] = ()
    password: Secret | None = None
    """Clear text (``plain_text_passwd``, or a ``passwd`` that is no crypt hash)."""
    password_hash: Secret | None = None
    """A crypt(3) hash (``passwd: $6$...``)."""
    sudo: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    """Keys of this entry wincloud does not apply (``shell``, ``gecos``, ...)."""


class PasswordChange(Struct, frozen=True):
    name: str
    password: Secret
    type: Literal["text", "hash"]


class CloudConfig(Struct, frozen=True):
    write_files: tuple[WriteFile, ...] = ()
    runcmd: tuple[str | tuple[str, ...], ...] = ()
    """Shell lines, or argument lists (quoted when the script is rendered)."""
    users: tuple[UserSpec, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    hostname: str | None = None
    fqdn: str | None = None
    preserve_hostname: bool = False
    prefer_fqdn: bool = False
    timezone: str | None = None
    ntp_servers: tuple[str, ...] | None = None
    """None: no ``ntp`` key (or ``enabled: false``)."""
    chpasswd: tuple[PasswordChange, ...] = ()
    chpasswd_expire: bool = True
    unsupported: tuple[str, ...] = ()
    keys: frozenset[str] = frozenset()
    """The document's top-level keys (user documents override these in vendor ones)."""
    vendor_data_enabled: bool = True
    """``vendor_data: {enabled: false}`` in user data turns vendor cloud-config off."""


def _fail(where: str, message: str) -> InvalidMetadata:
    return InvalidMetadata(message, subject=where, hint="see docs/userdata.md#cloud-config")


def _str(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(where, "must be a string")
    return str(value)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, "must be true or false")
    return value


def _names(value: Any, where: str) -> tuple[str, ...]:
    """A list of strings, or one comma-separated string."""
    if isinstance(value, str):
        return tuple(n.strip() for n in value.split(",") if n.strip())
    if isinstance(value, list):
        return tuple(_str(v, f"{where}[{i}]").strip() for i, v in enumerate(value))
    raise _fail(where, "must be a list or a comma-separated string")


def _list(value: Any, where: str) -> list[Any]:
    if isinstance(value, dict):  # cloudbase-init and cloud-init accept one item alone
        return [value]
    if not isinstance(value, list):
        raise _fail(where, "must be a list")
    return value


def _decode(content: str | bytes, encoding: str, where: str, budget: Budget) -> bytes:
    steps = ENCODINGS.get(encoding.lower())
    if steps is None:
        raise _fail(where, f"unknown encoding {encoding!r}; one of {', '.join(ENCODINGS)}")
    data = content.encode("utf-8") if isinstance(content, str) else content
    for step in steps:
        if step == "b64":
            try:
                data = base64.b64decode(b"".join(data.split()), validate=True)
            except (binascii.Error, ValueError):
                raise _fail(where, "content is not base64") from None
        else:
            data = gunzip(data, where=where, budget=budget)
    return data


def _permissions(value: Any, where: str) -> int:
    """A quoted octal string (``'0644'``), or a YAML number: PyYAML reads ``0644`` as the
    octal 420 (taken as is); a number above 0o777 written with octal digits only (``644``)
    was meant as octal and is read so."""
    mode = -1
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
        mode = int(text, 8) if value > 0o777 and set(text) <= set("01234567") else value
    elif isinstance(value, str):
        try:
            mode = int(value.strip().removeprefix("0o"), 8)
        except ValueError:
            mode = -1
    if not 0 <= mode <= 0o7777:
        raise _fail(where, "must be an octal mode such as '0644'")
    return mode


def _write_file(item: Any, where: str, budget: Budget) -> WriteFile:
    if not isinstance(item, dict):
        raise _fail(where, "must be a mapping")
    if "source" in item and "content" not in item:
        raise _fail(f"{where}.source", "files from a URL are not supported; give content")
    path = _str(item.get("path"), f"{where}.path") if "path" in item else ""
    if not path:
        raise _fail(f"{where}.path", "is required")
    content = item.get("content", "")
    if not isinstance(content, str | bytes):
        raise _fail(f"{where}.content", "must be a string")
    encoding = _str(item.get("encoding", ""), f"{where}.encoding")
    owner = _str(item["owner"], f"{where}.owner").split(":", 1)[0] if "owner" in item else None
    return WriteFile(
        path=path,
        content=_decode(content, encoding, f"{where}.content", budget),
        permissions=_permissions(item["permissions"], f"{where}.permissions")
        if "permissions" in item
        else None,
        owner=owner or None,
        append=_bool(item.get("append", False), f"{where}.append"),
    )


def _runcmd(value: Any, where: str) -> tuple[str | tuple[str, ...], ...]:
    lines: list[str | tuple[str, ...]] = []
    for i, item in enumerate(_list(value, where)):
        if isinstance(item, list):
            lines.append(tuple(_str(v, f"{where}[{i}]") for v in item))
        else:
            lines.append(_str(item, f"{where}[{i}]"))
    return tuple(lines)


def render_runcmd(runcmd: tuple[str | tuple[str, ...], ...], *, windows: bool) -> bytes:
    """The commands as one script: ``#!/bin/sh`` (POSIX) or a batch file (Windows); a list
    entry is quoted the way that shell reads it."""
    if windows:
        lines = [c if isinstance(c, str) else " ".join(_cmd_quote(a) for a in c) for c in runcmd]
        return ("rem cmd\r\n" + "".join(line + "\r\n" for line in lines)).encode()
    lines = [c if isinstance(c, str) else shlex.join(c) for c in runcmd]
    return ("#!/bin/sh\n" + "".join(line + "\n" for line in lines)).encode()


def _cmd_quote(arg: str) -> str:
    if arg and not any(ch in arg for ch in ' \t"&|<>^'):
        return arg
    return '"' + arg.replace('"', '""') + '"'


def is_crypt_hash(value: str) -> bool:
    parts = value.split("$")
    return value.startswith("$") and len(parts) >= 4 and parts[1] != ""


def _user(item: Any, where: str) -> UserSpec | None:
    if isinstance(item, str):
        return None if item == "default" else UserSpec(item.strip())
    if not isinstance(item, dict) or "name" not in item:
        raise _fail(where, "must be 'default', a name, or a mapping with a name")
    name = _str(item["name"], f"{where}.name")
    password = password_hash = None
    if "plain_text_passwd" in item:
        password = Secret(_str(item["plain_text_passwd"], f"{where}.plain_text_passwd"))
    if "passwd" in item:
        value = _str(item["passwd"], f"{where}.passwd")
        if is_crypt_hash(value):
            password_hash = Secret(value)
        else:  # cloudbase-init's reading: Windows takes no hashes
            password = Secret(value)
    sudo: tuple[str, ...] = ()
    if item.get("sudo") not in (None, False):
        raw = item["sudo"]
        sudo = (raw,) if isinstance(raw, str) else _names(raw, f"{where}.sudo")
    return UserSpec(
        name=name,
        groups=_names(item.get("groups", []), f"{where}.groups"),
        ssh_keys=_names(item.get("ssh_authorized_keys", []), f"{where}.ssh_authorized_keys"),
        password=password,
        password_hash=password_hash,
        sudo=sudo,
        ignored=tuple(sorted(set(item) - USER_KEYS)),
    )


def _groups(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out: list[tuple[str, tuple[str, ...]]] = []
    items = [value] if isinstance(value, str | dict) else _list(value, where)
    for i, item in enumerate(items):
        if isinstance(item, str):
            out += [(name, ()) for name in _names(item, f"{where}[{i}]")]
        elif isinstance(item, dict):
            for name, members in item.items():
                listed = [] if members is None else members
                out.append((_str(name, f"{where}[{i}]"), _names(listed, f"{where}.{name}")))
        else:
            raise _fail(f"{where}[{i}]", "must be a name or a mapping of name to members")
    return tuple(out)


def _ntp(value: Any, where: str) -> tuple[str, ...] | None:
    if not isinstance(value, dict):
        raise _fail(where, "must be a mapping (servers, pools)")
    if not _bool(value.get("enabled", True), f"{where}.enabled"):
        return None
    servers = _names(value.get("servers", []), f"{where}.servers")
    pools = _names(value.get("pools", []), f"{where}.pools")
    return servers + pools


def _chpasswd(value: Any, where: str) -> tuple[tuple[PasswordChange, ...], bool]:
    if not isinstance(value, dict):
        raise _fail(where, "must be a mapping (users, list, expire)")
    changes: list[PasswordChange] = []
    for i, item in enumerate(_list(value.get("users", []), f"{where}.users")):
        at = f"{where}.users[{i}]"
        if not isinstance(item, dict) or "name" not in item:
            raise _fail(at, "must be a mapping with name and password")
        kind = _TYPES.get(_str(item.get("type", "text"), f"{at}.type"))
        if kind is None:
            raise _fail(f"{at}.type", "must be text or hash (RANDOM is not supported)")
        secret = Secret(_str(item.get("password", ""), f"{at}.password"))
        if not secret:
            raise _fail(f"{at}.password", "is required")
        changes.append(PasswordChange(_str(item["name"], f"{at}.name"), secret, kind))
    legacy = value.get("list", "")
    lines = legacy.splitlines() if isinstance(legacy, str) else _names(legacy, f"{where}.list")
    for i, line in enumerate(lines):
        name, sep, password = line.strip().partition(":")
        if not line.strip():
            continue
        if not sep or not name or not password or password in ("R", "RANDOM"):
            raise _fail(f"{where}.list[{i}]", "must be user:password (RANDOM is not supported)")
        kind = _TYPES["hash" if is_crypt_hash(password) else "text"]
        changes.append(PasswordChange(name, Secret(password), kind))
    return tuple(changes), _bool(value.get("expire", True), f"{where}.expire")


def load_cloudconfig(body: bytes, *, where: str = "user_data") -> dict[str, Any]:
    """One ``#cloud-config`` part as a mapping (bounded YAML; empty is ``{}``)."""
    import yaml

    try:
        doc = parse_yaml(body.decode("utf-8-sig"), subject=where)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        raise _fail(where, f"cloud-config is not valid YAML ({problem})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise _fail(where, "cloud-config must be a mapping")
    return doc


def build_cloudconfig(
    doc: Mapping[str, Any],
    *,
    where: str = "user_data",
    budget: Budget | None = None,
    drop: frozenset[str] = frozenset(),
) -> CloudConfig:
    """Check a (merged) cloud-config mapping; ``budget`` is what gzip-encoded write_files may
    still expand to (shared with the rest of the user-data). Keys in ``drop`` (and the keys
    grouped with them) are left out: vendor documents lose what user data sets."""
    if drop:
        grouped = set(drop).union(*(g for g in KEY_GROUPS if g & drop))
        doc = {k: v for k, v in doc.items() if k not in grouped}
    return _build(doc, where, budget if budget is not None else Budget())


def parse_cloudconfig(
    body: bytes,
    *,
    where: str = "user_data",
    budget: Budget | None = None,
    drop: frozenset[str] = frozenset(),
) -> CloudConfig:
    """Parse and check one ``#cloud-config`` document."""
    doc = load_cloudconfig(body, where=where)
    return build_cloudconfig(doc, where=where, budget=budget, drop=drop)


def merge_parts(parts: Sequence[Part], *, where: str) -> dict[str, Any]:
    """The cloud-config parts merged into one mapping by cloud-init's rules (merge.py): each
    part's ``merge_how``/``merge_type`` key, then its MIME ``Merge-Type`` header, else the
    default (a later part's top-level keys replace the earlier ones)."""
    loaded = []
    for part in parts:
        at = f"{where} {part.name}"
        doc = load_cloudconfig(part.body, where=at)
        spec: tuple[Merger, ...] = ()
        for key in SPEC_KEYS:
            if key in doc:
                spec += parse_spec(doc[key], f"{at}: {key}")
                break
        if part.merge_type:
            spec += parse_spec(part.merge_type, f"{at}: Merge-Type header")
        loaded.append((doc, spec or None))
    return merge_documents(loaded, names=[f"{where} {p.name}" for p in parts])


def _vendor_enabled(value: Any, where: str) -> bool:
    if not isinstance(value, dict):
        raise _fail(where, "must be a mapping (enabled)")
    return _bool(value.get("enabled", True), f"{where}.enabled")


def _build(doc: Mapping[str, Any], where: str, budget: Budget) -> CloudConfig:
    def at(key: str) -> str:
        return f"{where}: {key}"

    hostname = doc.get("hostname", doc.get("set_hostname"))
    timezone = doc.get("timezone", doc.get("set_timezone"))
    chpasswd: tuple[PasswordChange, ...] = ()
    expire = True
    if "chpasswd" in doc:
        chpasswd, expire = _chpasswd(doc["chpasswd"], at("chpasswd"))
    entries = _list(doc.get("users", []), at("users"))
    users = [_user(u, f"{at('users')}[{i}]") for i, u in enumerate(entries)]
    return CloudConfig(
        write_files=tuple(
            _write_file(item, f"{at('write_files')}[{i}]", budget)
            for i, item in enumerate(_list(doc.get("write_files", []), at("write_files")))
        ),
        runcmd=_runcmd(doc.get("runcmd", []), at("runcmd")),
        users=tuple(u for u in users if u is not None),
        groups=_groups(doc.get("groups", []), at("groups")),
        hostname=None if hostname is None else _str(hostname, at("hostname")),
        fqdn=None if doc.get("fqdn") is None else _str(doc["fqdn"], at("fqdn")),
        preserve_hostname=_bool(doc.get("preserve_hostname", False), at("preserve_hostname")),
        prefer_fqdn=_bool(doc.get("prefer_fqdn_over_hostname", False), at("prefer_fqdn")),
        timezone=None if timezone is None else _str(timezone, at("timezone")),
        ntp_servers=_ntp(doc["ntp"], at("ntp")) if "ntp" in doc else None,
        chpasswd=chpasswd,
        chpasswd_expire=expire,
        unsupported=tuple(sorted(str(k) for k in doc if k not in KNOWN)),
        keys=frozenset(str(k) for k in doc),
        vendor_data_enabled=_vendor_enabled(doc["vendor_data"], at("vendor_data"))
        if "vendor_data" in doc
        else True,
    )


def vendor_userdata(value: Any) -> bytes | None:
    """The user-data format text OpenStack vendor data carries for cloud-init: the
    ``cloud-init`` attribute of a JSON object (or the value itself when it is a string);
    None when there is none."""
    if isinstance(value, dict):
        value = value.get("cloud-init")
    if isinstance(value, str) and value.strip():
        return value.encode("utf-8")
    return None
