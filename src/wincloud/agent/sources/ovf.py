"""The OVF environment (DMTF DSP0243): ``ovf-env.xml`` on a CD labelled ``OVF ENV`` (the ISO
transport vSphere and other OVF deployers use), or given by VMware Tools as
``guestinfo.ovfEnv`` (the ``vmware`` source reads that one).

Properties read from ``PropertySection`` (``<Property oe:key=… oe:value=…/>``), with the names
cloud-init and cloudbase-init use: ``instance-id`` (default ``iid-ovf``), ``hostname`` or
``local-hostname``, ``public-keys`` (any number of properties, a key per line), ``user-data``
(base64), ``password`` (the administrator's), ``username`` (the ``admin_username`` meta key).
``seedfrom`` (a URL to read NoCloud data from) is not followed: it is logged."""

from __future__ import annotations

import base64
import binascii
import codecs
import logging
import re
from typing import ClassVar, Final

from wincloud.agent.metadata import InstanceMetadata
from wincloud.agent.sources._labelled import LabelledDriveSource, read_top_file
from wincloud.agent.sources.base import SourceDeps, checked_instance_id, key_lines
from wincloud.agent.tree import Tree
from wincloud.errors import InvalidMetadata
from wincloud.secret import Secret

log = logging.getLogger(__name__)

ENV_FILE: Final = "ovf-env.xml"
OVF_ENV_NS: Final = "http://schemas.dmtf.org/ovf/environment/1"
DEFAULT_INSTANCE_ID: Final = "iid-ovf"
MAX_ENV: Final = 4 * 1024 * 1024
MAX_PROPERTIES: Final = 1024
_DOCTYPE: Final = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
# UTF-32 first: its little-endian mark starts with UTF-16's.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decoded(raw: bytes, where: str) -> str:
    """The document as text: UTF-8, or what its byte order mark says. The DTD check runs on
    this text and the parser is given this text, so no encoding (UTF-16, a declared EBCDIC)
    can hide a declaration from the check."""
    codec = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8")
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        raise InvalidMetadata(f"not {codec.upper()} text", subject=where) from None
    if "\0" in text:
        raise InvalidMetadata("a NUL character in the document", subject=where)
    return text


def parse_ovf_properties(raw: bytes, *, where: str) -> list[tuple[str, str]]:
    """``(key, value)`` of every ``Property`` in the environment's ``PropertySection``, in
    document order. InvalidMetadata for what is not an OVF environment; a document type
    declaration (entities) is refused before parsing."""
    import xml.etree.ElementTree as ET

    if len(raw) > MAX_ENV:
        raise InvalidMetadata(f"larger than {MAX_ENV} bytes", subject=where)
    text = _decoded(raw, where)
    if _DOCTYPE.search(text):
        raise InvalidMetadata("a document type declaration is not allowed", subject=where)
    try:
        # Given as text, the parser takes it as is (whatever encoding the XML declaration
        # names), so what it parses is what was checked.
        root = ET.fromstring(text)  # noqa: S314 - DTDs refused above, size bounded
    except ET.ParseError as exc:
        raise InvalidMetadata(f"not valid XML ({exc})", subject=where) from None
    if root.tag != f"{{{OVF_ENV_NS}}}Environment":
        raise InvalidMetadata("not an OVF Environment document", subject=where)
    found: list[tuple[str, str]] = []
    for section in root.iter(f"{{{OVF_ENV_NS}}}PropertySection"):
        # A section's own Property children only (DSP0243's layout): with iter(), sections
        # nested in sections visited their descendants again and again (quadratic: a 4 MiB
        # document of nested sections took two minutes) and counted each property per
        # enclosing section.
        for prop in section.findall(f"{{{OVF_ENV_NS}}}Property"):
            key = prop.get(f"{{{OVF_ENV_NS}}}key")
            value = prop.get(f"{{{OVF_ENV_NS}}}value", "")
            if key:
                found.append((key, value))
            if len(found) > MAX_PROPERTIES:
                raise InvalidMetadata(f"more than {MAX_PROPERTIES} properties", subject=where)
    return found


def metadata_from_ovf(raw: bytes, *, source: str, where: str) -> InstanceMetadata:
    props = parse_ovf_properties(raw, where=where)
    first: dict[str, str] = {}
    for key, value in props:
        if value.strip():
            first.setdefault(key, value.strip())
    keys: list[str] = []
    for key, value in props:
        if key == "public-keys":
            keys.extend(key_lines(value, where=where, seen=len(keys)))
    user_data = None
    if first.get("user-data"):
        try:
            user_data = base64.b64decode("".join(first["user-data"].split()), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidMetadata("user-data is not valid base64", subject=where) from None
    if first.get("seedfrom"):
        log.warning("ovf seedfrom not followed (not supported) where=%s", where)
    password = first.get("password")
    return InstanceMetadata(
        instance_id=checked_instance_id(first.get("instance-id", DEFAULT_INSTANCE_ID), where=where),
        source=source,
        where=where,
        hostname=first.get("hostname") or first.get("local-hostname"),
        public_keys={str(i): key for i, key in enumerate(keys)},
        admin_pass=Secret(password) if password else None,
        user_data=user_data,
        meta={"admin_username": first["username"]} if first.get("username") else {},
    )


def parse_ovf(tree: Tree, *, source: str) -> InstanceMetadata:
    raw = read_top_file(tree, ENV_FILE)
    if raw is None:
        raise InvalidMetadata(f"no {ENV_FILE}", subject=tree.where, hint="is this an OVF drive?")
    return metadata_from_ovf(raw, source=source, where=f"{tree.where}/{ENV_FILE}")


class OvfSource(LabelledDriveSource):
    name: ClassVar[str] = "ovf"
    absent: ClassVar[str] = "no OVF environment drive"

    def __init__(self, deps: SourceDeps) -> None:
        super().__init__(deps, deps.config.ovf)

    def parse(self, tree: Tree) -> InstanceMetadata:
        return parse_ovf(tree, source=self.name)
