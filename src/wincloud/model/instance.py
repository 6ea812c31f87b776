"""The instance record: everything the metadata service and config drives say about a VM.

Validated at the edge: ``parse_instance`` turns a bad record into one ConfigError that lists
every problem at its path as the user wrote it (``model.checks`` has the record-wide checks).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid as uuidlib
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from wincloud.errors import ConfigError
from wincloud.model.checks import (
    CTX_PATH,
    CTX_UP,
    Problem,
    describe,
    error_problems,
    merge,
    record_problems,
)
from wincloud.model.keys import check_line, check_public_key, normalize_mac
from wincloud.model.network import NetworkData

MAX_USER_DATA: Final = 64 * 1024
MAX_FILE_SIZE: Final = 10 * 1024 * 1024
_HOST_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# Validation context keys: parse_instance has run the record-wide checks itself; the record
# comes back from the store, which checked it in full when it was written.
_CHECKED: Final = "wincloud_checked"
_STORED: Final = "wincloud_stored"
_STORED_CONTEXT: Final = {_CHECKED: True, _STORED: True}


def _check_hostname(value: str) -> str:
    if len(value) > 253 or not all(_HOST_LABEL.fullmatch(part) for part in value.split(".")):
        raise ValueError(
            "not a valid host name (letters, digits and '-', dot-separated labels of 1-63)"
        )
    return value


def _check_uuid(value: str) -> str:
    try:
        return str(uuidlib.UUID(value))
    except ValueError:
        raise ValueError("not a UUID (want e.g. 8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012)") from None


def _check_name(value: str) -> str:
    """A name (key name, meta key, security group): 1-255 characters on one line."""
    if not 1 <= len(value) <= 255:
        raise ValueError(f"a name is 1-255 characters (this one has {len(value)})")
    return check_line(value)


def _to_ip(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return ip_address(value)
        except ValueError:
            raise ValueError(f"not an IPv4 or IPv6 address: {value[:60]!r}") from None
    return value


class _Bad:
    """What a before-validator leaves in a field it could not convert: the field's own
    validator then reports ``message`` at ``field`` (the key the user wrote)."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def _report_bad(value: Any) -> Any:
    if isinstance(value, _Bad):
        ctx = {"message": value.message, CTX_PATH: [value.field], CTX_UP: 1}
        raise PydanticCustomError("value_error", "{message}", ctx)
    return value


def _check_key(value: str, info: ValidationInfo) -> str:
    """A key line checked down to the key, except in a stored record: it was checked (and
    stripped) when it was written, and the check costs more than the rest of the record."""
    if info.context is not None and info.context.get(_STORED):
        return value
    return check_public_key(value)


Hostname = Annotated[str, AfterValidator(_check_hostname)]
UuidText = Annotated[str, AfterValidator(_check_uuid)]
MacText = Annotated[str, AfterValidator(normalize_mac)]
PublicKey = Annotated[str, AfterValidator(_check_key)]
Line = Annotated[str, AfterValidator(check_line)]
Name = Annotated[str, AfterValidator(_check_name)]
IpAddress = Annotated[IPv4Address | IPv6Address, BeforeValidator(_to_ip)]
Binary = Annotated[bytes, BeforeValidator(_report_bad)]


def _decode_b64(value: Any, field: str) -> bytes | _Bad:
    if not isinstance(value, str):
        return _Bad(field, "must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        return _Bad(field, "is not valid base64")


def _bytes_from(data: dict[str, Any], text_key: str, b64_key: str) -> None:
    """Accept ``text_key`` as text or ``b64_key`` as base64; leave bytes in ``text_key`` (or
    a _Bad that its validator reports). Never raises: other fields still get checked."""
    if b64_key in data:
        encoded = data.pop(b64_key)
        if data.get(text_key) is not None:
            data[text_key] = _Bad(b64_key, f"give {text_key} or {b64_key}, not both")
        else:
            data[text_key] = _decode_b64(encoded, b64_key)
    elif isinstance(data.get(text_key), str):
        try:
            data[text_key] = data[text_key].encode("utf-8")
        except UnicodeEncodeError:
            data[text_key] = _Bad(text_key, "is not valid Unicode text")


class InjectedFile(BaseModel):
    """A file Nova injects through the config drive (``openstack/content/NNNN``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Line = Field(min_length=2, max_length=255)
    content: Binary = Field(max_length=MAX_FILE_SIZE)

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
    name: Line = Field(min_length=1, max_length=255)
    hostname: Hostname
    project_id: Line = Field(default="", max_length=255)
    availability_zone: Line = Field(default="nova", max_length=255)
    launch_index: int = Field(default=0, ge=0)
    fixed_ips: list[IpAddress] = Field(default_factory=list)
    macs: list[MacText] = Field(default_factory=list)
    public_ipv4: IPv4Address | None = None
    public_keys: dict[Name, PublicKey] = Field(default_factory=dict)
    password_key: Name | None = None
    publish_all_keys: bool = False
    meta: dict[Name, Annotated[str, Field(max_length=255)]] = Field(default_factory=dict)
    user_data: Annotated[bytes | None, BeforeValidator(_report_bad)] = Field(
        default=None, max_length=MAX_USER_DATA
    )
    network_data: NetworkData | None = None
    vendor_data: dict[str, Any] = Field(default_factory=dict)
    admin_pass: SecretStr | None = None
    instance_type: Line = Field(default="m1.small", min_length=1, max_length=255)
    image_id: Line = Field(default="", max_length=255)
    host: Line | None = Field(default=None, min_length=1, max_length=255)  # compute host
    vcpus: int | None = Field(default=None, ge=1, le=4096)  # the flavor's vCPUs
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    random_seed: Line | None = None
    security_groups: list[Name] = Field(default_factory=lambda: ["default"])
    root_device_name: Line = "/dev/vda"
    devices: list[dict[str, Any]] = Field(default_factory=list)
    dedicated_cpus: list[int] = Field(default_factory=list)
    files: list[InjectedFile] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _input_forms(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict):
            if not (info.context or {}).get(_CHECKED):
                _raise_first(record_problems(data))
            data = dict(data)
            _bytes_from(data, "user_data", "user_data_base64")
        return data

    @field_validator("random_seed")
    @classmethod
    def _seed_is_b64(cls, value: str | None) -> str | None:
        if value is not None and isinstance(_decode_b64(value, "random_seed"), _Bad):
            raise ValueError("is not valid base64")
        return value

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def published_keys(self) -> dict[str, str]:
        """The keys guests are given, in order: ``password_key`` (else the first key) alone,
        as Nova publishes an instance's one key pair; every key with ``publish_all_keys``."""
        if not self.public_keys:
            return {}
        first = self.password_key or next(iter(self.public_keys))
        published = {first: self.public_keys[first]}
        if self.publish_all_keys:
            published.update(self.public_keys)
        return published

    # -- derived identities (stable for a given record) -------------------------------

    @property
    def ec2_id(self) -> str:
        return "i-" + self.uuid[:8]  # canonical (lowercase, hyphenated): the uuid's first 8 hex

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
        # network_data as given (Nova's keys, absent ones left out), not every default
        doc["network_data"] = self.network_data.render() if self.network_data else None
        if self.user_data is not None:
            doc["user_data_base64"] = base64.b64encode(self.user_data).decode()
        if self.admin_pass is not None:
            doc["admin_pass"] = self.admin_pass.get_secret_value() if reveal else "***"
        doc["files"] = [
            {"path": f.path, "content_base64": base64.b64encode(f.content).decode()}
            for f in self.files
        ]
        return doc


def _raise_first(problems: list[Problem]) -> None:
    """For callers of Instance.model_validate: the record-wide checks' first problem."""
    if problems:
        path, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PydanticCustomError(
            "record", "{message}", {"message": message + more, CTX_PATH: list(path)}
        )


def describe_validation_error(err: ValidationError, data: Any = None) -> str:
    """Every problem of ``err`` as ``path: message; ...``, paths as the user wrote them."""
    return describe(merge(error_problems(err, data)))


def record_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every problem of a record document as (field path, message), in the record's order;
    empty when ``parse_instance`` accepts it."""
    problems = record_problems(data)
    try:
        Instance.model_validate(data, context={_CHECKED: True})
    except ValidationError as exc:
        problems = error_problems(exc, data, fields=Instance.model_fields) + problems
    order: dict[Any, int] = {key: index for index, key in enumerate(data)}
    problems.sort(key=lambda p: order.get(p[0][0], -1) if p[0] else -1)
    return merge(problems)


def load_stored_instance(data: Any, *, source: str = "instance record") -> Instance:
    """A record read back from the store, which checked it in full when it was written
    (``parse_instance``): only its structure is validated again (what rendering relies on),
    not the slower content checks (the record-wide checks, public keys parsed down to the
    key). A record that fails is reported as ``parse_instance`` would."""
    if isinstance(data, dict):
        try:
            return Instance.model_validate(data, context=_STORED_CONTEXT)
        except ValidationError:
            pass
    return parse_instance(data, source=source)


def parse_instance(data: Any, *, source: str = "instance record") -> Instance:
    """Validate ``data`` into an Instance; ConfigError naming every bad field otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(
            "an instance record must be a mapping of fields",
            subject=source,
            hint="see docs/instances.md for the record format",
        )
    problems = record_problems(data)
    if not problems:
        try:
            return Instance.model_validate(data, context={_CHECKED: True})
        except ValidationError:
            pass
    listed = record_errors(data)
    count = f"{len(listed)} problems: " if len(listed) > 1 else ""
    raise ConfigError(
        f"invalid instance record, {count}{describe(listed)}",
        subject=source,
        hint="fix those fields (docs/instances.md lists every field)"
        if len(listed) > 1
        else "fix that field (docs/instances.md lists every field)",
    )
