"""The instance record: everything the metadata service and config drives say about a VM.

Validated at the edge: ``parse_instance`` turns any bad field into one ConfigError that names it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid as uuidlib
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from wincloud.errors import ConfigError
from wincloud.model.keys import check_public_key, normalize_mac
from wincloud.model.network import NetworkData

MAX_USER_DATA: Final = 64 * 1024
MAX_FILE_SIZE: Final = 10 * 1024 * 1024
_HOST_LABEL: Final = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _check_hostname(value: str) -> str:
    if len(value) > 253 or not all(_HOST_LABEL.match(part) for part in value.split(".")):
        raise ValueError(
            "not a valid host name (letters, digits and '-', dot-separated labels of 1-63)"
        )
    return value


def _check_uuid(value: str) -> str:
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise ValueError("not a UUID (want e.g. 8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012)") from None


Hostname = Annotated[str, AfterValidator(_check_hostname)]
UuidText = Annotated[str, AfterValidator(_check_uuid)]
MacText = Annotated[str, AfterValidator(normalize_mac)]
PublicKey = Annotated[str, AfterValidator(check_public_key)]


def _decode_b64(value: Any, field: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise ValueError(f"{field} is not valid base64") from None


def _bytes_from(data: dict[str, Any], text_key: str, b64_key: str) -> None:
    """Accept ``text_key`` as text or ``b64_key`` as base64; leave bytes in ``text_key``."""
    if b64_key in data:
        if data.get(text_key) is not None:
            raise ValueError(f"give {text_key} or {b64_key}, not both")
        data[text_key] = _decode_b64(data.pop(b64_key), b64_key)
    elif isinstance(data.get(text_key), str):
        data[text_key] = data[text_key].encode("utf-8")


class InjectedFile(BaseModel):
    """A file Nova injects through the config drive (``openstack/content/NNNN``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=2, max_length=255)
    content: bytes = Field(max_length=MAX_FILE_SIZE)

    @model_validator(mode="before")
    @classmethod
    def _content_forms(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            _bytes_from(data, "content", "content_base64")
        return data

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not (value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value)):
            raise ValueError("must be an absolute path (/etc/motd or C:\\path)")
        return value


class Instance(BaseModel):
    """One VM as the metadata service knows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uuid: UuidText
    name: str = Field(min_length=1, max_length=255)
    hostname: Hostname
    project_id: str = Field(default="", max_length=255)
    availability_zone: str = Field(default="nova", max_length=255)
    launch_index: int = Field(default=0, ge=0)
    fixed_ips: list[IPv4Address | IPv6Address] = Field(default_factory=list)
    macs: list[MacText] = Field(default_factory=list)
    public_ipv4: IPv4Address | None = None
    public_keys: dict[str, PublicKey] = Field(default_factory=dict)
    meta: dict[str, str] = Field(default_factory=dict)
    user_data: bytes | None = Field(default=None, max_length=MAX_USER_DATA)
    network_data: NetworkData | None = None
    vendor_data: dict[str, Any] = Field(default_factory=dict)
    admin_pass: SecretStr | None = None
    instance_type: str = Field(default="m1.small", min_length=1, max_length=255)
    image_id: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    random_seed: str | None = None
    security_groups: list[str] = Field(default_factory=lambda: ["default"])
    root_device_name: str = "/dev/vda"
    devices: list[dict[str, Any]] = Field(default_factory=list)
    dedicated_cpus: list[int] = Field(default_factory=list)
    files: list[InjectedFile] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _input_forms(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            _bytes_from(data, "user_data", "user_data_base64")
        return data

    @field_validator("meta")
    @classmethod
    def _meta_limits(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if not 1 <= len(key) <= 255:
                raise ValueError(f"key {key[:40]!r} must be 1-255 characters")
            if len(item) > 255:
                raise ValueError(f"value of {key!r} is longer than 255 characters")
        return value

    @field_validator("public_keys")
    @classmethod
    def _key_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not 1 <= len(name) <= 255:
                raise ValueError("key names must be 1-255 characters")
        return value

    @field_validator("random_seed")
    @classmethod
    def _seed_is_b64(cls, value: str | None) -> str | None:
        if value is not None:
            _decode_b64(value, "random_seed")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    # -- derived identities (stable for a given record) -------------------------------

    @property
    def ec2_id(self) -> str:
        return "i-" + uuidlib.UUID(self.uuid).hex[:8]

    @property
    def ami_id(self) -> str:
        if self.image_id.startswith("ami-"):
            return self.image_id
        if not self.image_id:
            return "ami-00000000"
        return "ami-" + hashlib.sha256(self.image_id.encode()).hexdigest()[:8]

    @property
    def reservation_id(self) -> str:
        return "r-" + hashlib.sha256(self.uuid.encode()).hexdigest()[:8]

    @property
    def local_ipv4(self) -> IPv4Address | None:
        return next((ip for ip in self.fixed_ips if isinstance(ip, IPv4Address)), None)

    @property
    def addresses(self) -> list[IPv4Address | IPv6Address]:
        """Every address that identifies this instance to the service."""
        seen = list(self.fixed_ips)
        if self.network_data is not None:
            seen += [ip for ip in self.network_data.addresses() if ip not in seen]
        return seen

    def to_document(self, *, reveal: bool = True) -> dict[str, Any]:
        """JSON-safe dict that ``parse_instance`` reads back (binary as base64)."""
        doc = self.model_dump(mode="json", exclude={"user_data", "admin_pass", "files"})
        if self.user_data is not None:
            doc["user_data_base64"] = base64.b64encode(self.user_data).decode()
        if self.admin_pass is not None:
            doc["admin_pass"] = self.admin_pass.get_secret_value() if reveal else "***"
        doc["files"] = [
            {"path": f.path, "content_base64": base64.b64encode(f.content).decode()}
            for f in self.files
        ]
        return doc


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(record)"


def describe_validation_error(err: ValidationError) -> str:
    first = err.errors()[0]
    loc = tuple(p for p in first["loc"] if not str(p).startswith("function-after"))
    msg = str(first["msg"]).removeprefix("Value error, ")
    more = len(err.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{_field_path(loc)}: {msg}{tail}"


def parse_instance(data: Any, *, source: str = "instance record") -> Instance:
    """Validate ``data`` into an Instance; ConfigError naming the field otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(
            "an instance record must be a mapping of fields",
            subject=source,
            hint="see docs/instances.md for the record format",
        )
    try:
        return Instance.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"invalid instance record, {describe_validation_error(exc)}",
            subject=source,
            hint="fix that field (docs/instances.md lists every field)",
        ) from None
