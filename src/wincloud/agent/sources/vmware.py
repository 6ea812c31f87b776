"""VMware guestinfo: ``guestinfo.metadata``, ``guestinfo.userdata`` and
``guestinfo.vendordata``, each with an optional ``<key>.encoding`` (``base64``/``b64`` or
``gzip+base64``/``gz+b64``), read through the platform (VMware Tools' RPC tool); or, when no
``guestinfo.metadata`` is set, the OVF environment VMware Tools hands over as
``guestinfo.ovfEnv`` (vApp properties with the VMware Tools transport).

The metadata is JSON or YAML, cloud-init's names and cloudbase-init's: ``instance-id``
(required), ``local-hostname`` (or ``hostname``), ``public-keys-data`` (a key per line) or
``public-keys`` (as NoCloud), ``admin-username``, ``admin-password``. Its ``network`` (netplan
v1/v2, or a string in ``network.encoding``) becomes Nova network_data (adapters matched by
MAC address)."""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from typing import Any, ClassVar, Final

from wincloud.agent.metadata import InstanceMetadata, PasswordSink, ReportSink
from wincloud.agent.sources.base import SourceDeps, checked_instance_id, key_lines
from wincloud.errors import InvalidMetadata, PlatformError, SourceUnavailable
from wincloud.secret import Secret

log = logging.getLogger(__name__)

MAX_EXPANDED: Final = 16 * 1024 * 1024
MAX_MEMBERS: Final = 16
WHERE: Final = "guestinfo"


def decode_guestinfo(raw: bytes, encoding: str, *, key: str) -> bytes:
    """The value as its ``.encoding`` says; InvalidMetadata for a bad value or an unknown
    encoding. gzip output is bounded (``MAX_EXPANDED``)."""
    subject = f"guestinfo.{key}"
    encoding = encoding.strip().lower()
    if encoding in ("", "plain", "plaintext"):
        return raw
    if encoding not in ("base64", "b64", "gzip+base64", "gz+b64"):
        raise InvalidMetadata(f"unknown encoding {encoding[:30]!r}", subject=subject + ".encoding")
    try:
        data = base64.b64decode(b"".join(raw.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidMetadata("not valid base64", subject=subject) from None
    if encoding.startswith("g"):
        data = _gunzip(data, subject)
    return data


def _gunzip(data: bytes, subject: str) -> bytes:
    """Every member of a gzip stream (``gzip -c a b`` writes two), at most ``MAX_EXPANDED``
    bytes in all; a stream cut short is InvalidMetadata, never the part that was there (half
    a script is worse than none)."""
    out = bytearray()
    rest = data
    for _ in range(MAX_MEMBERS):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, MAX_EXPANDED + 1 - len(out))
        except zlib.error:
            raise InvalidMetadata("not valid gzip", subject=subject) from None
        if len(out) > MAX_EXPANDED or inflater.unconsumed_tail:
            raise InvalidMetadata(f"expands beyond {MAX_EXPANDED} bytes", subject=subject)
        if not inflater.eof:
            raise InvalidMetadata("gzip data cut short", subject=subject)
        rest = inflater.unused_data
        if not rest:
            return bytes(out)
    raise InvalidMetadata(f"more than {MAX_MEMBERS} gzip members", subject=subject)


def _document(raw: bytes, *, key: str) -> Any:
    """JSON or YAML (JSON is YAML), with the agent's bounds."""
    from wincloud.agent.sources._yamldoc import parse_document

    return parse_document(raw, subject=f"guestinfo.{key}", what="JSON or YAML")


def _vendor_text(raw: bytes | None) -> str | None:
    """Vendor data is in user-data format (``#cloud-config``, a script, MIME), as cloud-init
    reads it: kept as text for the cloudconfig plugin, like NoCloud's ``vendor-data``. (Parsed
    as YAML, a ``#cloud-config`` lost its header and was dropped, and MIME failed the source.)"""
    if raw is None or not raw.strip():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidMetadata("not UTF-8 text", subject=f"{WHERE}.vendordata") from None


def _keys(doc: dict[str, Any]) -> dict[str, str]:
    data = doc.get("public-keys-data")
    if isinstance(data, str):
        lines = key_lines(data, where=f"{WHERE}.metadata public-keys-data")
        return {str(i): key for i, key in enumerate(dict.fromkeys(lines))}
    value = doc.get("public-keys")
    if value is None:
        return {}
    from wincloud.agent.sources.nocloud import public_keys_from

    return public_keys_from(value, f"{WHERE}.metadata public-keys")


def _string(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InvalidMetadata(f"{key} must be a string", subject=f"{WHERE}.metadata")
    return str(value)


def _network(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The metadata's ``network`` (cloud-init v1/v2; a string is decoded as its
    ``network.encoding`` says) as Nova network_data."""
    from wincloud.agent.sources._netconfig import network_data_from_config

    value = doc.get("network")
    if not value:
        return None
    if isinstance(value, str):
        encoding = _string(doc, "network.encoding") or ""
        value = _document(
            decode_guestinfo(value.encode(), encoding, key="metadata network"),
            key="metadata network",
        )
    return network_data_from_config(value, where=f"{WHERE}.metadata network")


def parse_guestinfo(
    metadata: bytes, *, user_data: bytes | None, vendor_data: bytes | None, source: str
) -> InstanceMetadata:
    doc = _document(metadata, key="metadata")
    if not isinstance(doc, dict):
        raise InvalidMetadata("not a mapping", subject=f"{WHERE}.metadata")
    instance_id = _string(doc, "instance-id")
    if not instance_id:
        raise InvalidMetadata(
            "instance-id is missing",
            subject=f"{WHERE}.metadata",
            hint="give instance-id in guestinfo.metadata",
        )
    checked_instance_id(instance_id, where=f"{WHERE}.metadata")
    password = _string(doc, "admin-password")
    username = _string(doc, "admin-username")
    return InstanceMetadata(
        instance_id=instance_id,
        source=source,
        where=WHERE,
        hostname=_string(doc, "local-hostname") or _string(doc, "hostname"),
        public_keys=_keys(doc),
        admin_pass=Secret(password) if password else None,
        user_data=user_data or None,
        vendor_data=_vendor_text(vendor_data),
        meta={"admin_username": username} if username else {},
        local_ipv4=_string(doc, "local-ipv4"),
        network_data=_network(doc),
    )


class VMwareSource:
    name: ClassVar[str] = "vmware"

    def __init__(self, deps: SourceDeps) -> None:
        self.deps = deps
        self.has_metadata = False

    @property
    def where(self) -> str:
        return WHERE

    def _get(self, key: str) -> bytes | None:
        try:
            return self.deps.platform.hypervisor.guestinfo(key)
        except PlatformError as exc:
            raise SourceUnavailable(f"cannot read guestinfo ({exc.message})", subject=key) from None

    def _decoded(self, key: str) -> bytes | None:
        raw = self._get(key)
        if raw is None:
            return None
        encoding = self._get(f"{key}.encoding") or b""
        return decode_guestinfo(raw, encoding.decode("ascii", "replace"), key=key)

    def probe(self) -> bool:
        """One guestinfo read (two when only the OVF environment is set)."""
        self.has_metadata = self._get("metadata") is not None
        return self.has_metadata or self._get("ovfEnv") is not None

    def load(self) -> InstanceMetadata:
        metadata = self._decoded("metadata")
        if metadata is None:
            env = self._get("ovfEnv")
            if env is None:
                raise SourceUnavailable("no guestinfo metadata", subject=WHERE)
            from wincloud.agent.sources.ovf import metadata_from_ovf

            return metadata_from_ovf(env, source=self.name, where=f"{WHERE}.ovfEnv")
        return parse_guestinfo(
            metadata,
            user_data=self._decoded("userdata"),
            vendor_data=self._decoded("vendordata"),
            source=self.name,
        )

    def password_sink(self) -> PasswordSink | None:
        return None

    def report_sink(self) -> ReportSink | None:
        return None
