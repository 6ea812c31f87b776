"""The image spec: one TOML file per Windows cloud image (docs/images.md lists every key).

``load_spec(path)`` reads and checks it; every problem is a ConfigError whose message names the
TOML key path (``firmware.secure_boot: ...``) and whose subject is the file. Relative paths
resolve against the spec file's folder. Files the build needs (ISOs, the agent MSI, driver
folders) are checked only by the commands that need them: ``ImageSpec.require_files``.
The licensing key file (``licensing.mode = "file:..."``) must exist at load time.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from wincloud.errors import ConfigError
from wincloud.image._spec_rules import (
    SERVER_VERSIONS,
    cross_field_problems,
    kms_client_key,
    read_key_file,
)
from wincloud.image.infile import read_regular
from wincloud.productkeys import edition_id_from_image_name

MAX_SPEC_BYTES: Final = 1 << 20
GLANCE_INT_MAX: Final = 2**31 - 1
MAX_PATH_BYTES: Final = 4095
MAX_NAME_BYTES: Final = 255
"""Linux's PATH_MAX (less the NUL) and NAME_MAX: longer paths were an OSError traceback."""
FILE_KEYS: Final = ("source", "drivers.virtio_win_iso", "drivers.extra", "agent.msi")
"""What ``require_files`` checks; ``source`` is ``source.iso`` or ``source.wim``."""

_NAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_LANG: Final = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
# An input locale is a language tag or a keyboard layout pair such as 0409:00000409.
_INPUT: Final = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}|[0-9A-Fa-f]{4}:[0-9A-Fa-f]{8}")
_TZ: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ().+_-]{0,63}")
_ASCII_TEXT: Final = re.compile(r"[\x20-\x7e]+")


def _resolve(value: Any, info: ValidationInfo) -> Any:
    """A path as written: relative to the spec's folder (the validation context's ``base``)."""
    if value == "":
        raise ValueError("an empty path (give a file, relative to the spec's folder)")
    if not isinstance(value, str):
        return value  # the Path validator reports the type
    if "\x00" in value:
        raise ValueError("a path cannot hold a NUL character")
    if len(value.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES or any(
        len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in Path(value).parts
    ):
        raise ValueError(
            f"a path longer than Linux allows ({MAX_PATH_BYTES} bytes, {MAX_NAME_BYTES} a name)"
        )
    base = (info.context or {}).get("base")
    path = Path(value).expanduser()
    if not path.is_absolute() and isinstance(base, Path):
        path = base / path
    return path


def _int_as_str(value: Any) -> Any:
    """``version = 2022`` (a TOML integer) means the same as ``"2022"``."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _missing(key: str, path: Path, *, folder: bool) -> str:
    """ "" when ``path`` is the file (or folder) the key needs, else what is wrong."""
    if path.is_dir() if folder else path.is_file():
        return ""
    if path.exists():
        return f"{key}: not a {'folder' if folder else 'file'}: {path}"
    return f"{key}: {'folder' if folder else 'file'} not found: {path}"


SpecPath = Annotated[Path, BeforeValidator(_resolve)]
Seconds = Annotated[int, Field(ge=1, le=86_400)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ImageSection(_Section):
    name: Annotated[str, Field(pattern=f"^(?:{_NAME.pattern})$")]
    description: str = ""


class SourceSection(_Section):
    iso: SpecPath | None = None
    wim: SpecPath | None = None
    edition: Annotated[str, Field(pattern=f"^{_ASCII_TEXT.pattern}$", max_length=128)] | None = None
    index: Annotated[int, Field(ge=1, le=64)] | None = None
    edition_id: Annotated[str, Field(pattern=r"^[A-Za-z]{2,64}$")] | None = None
    version: Annotated[
        Literal["2016", "2019", "2022", "2025", "10", "11"], BeforeValidator(_int_as_str)
    ]
    architecture: Literal["amd64", "arm64"] = "amd64"

    @property
    def is_server(self) -> bool:
        return self.version in SERVER_VERSIONS

    @property
    def media(self) -> Path:
        """The install ISO or WIM (exactly one is set once the spec is valid)."""
        path = self.iso or self.wim
        assert path is not None  # checked by ImageSpec
        return path

    def resolved_edition_id(self) -> str | None:
        """``edition_id`` as given, else derived from the image name (None for an index)."""
        if self.edition_id is not None:
            return self.edition_id
        return None if self.edition is None else edition_id_from_image_name(self.edition)


class FirmwareSection(_Section):
    type: Literal["uefi", "bios"] = "uefi"
    secure_boot: bool = False
    tpm: bool = False


class DiskSection(_Section):
    bus: Literal["virtio", "scsi"] = "virtio"
    size_gib: Annotated[int, Field(ge=1, le=65_536)] = 40


class NetworkSection(_Section):
    model: Literal["virtio", "e1000"] = "virtio"


class LocaleSection(_Section):
    ui_language: Annotated[str, Field(pattern=f"^(?:{_LANG.pattern})$")] = "en-US"
    input_locale: Annotated[str, Field(pattern=f"^(?:{_INPUT.pattern})$")] = "en-US"
    system_locale: Annotated[str, Field(pattern=f"^(?:{_LANG.pattern})$")] = "en-US"
    user_locale: Annotated[str, Field(pattern=f"^(?:{_LANG.pattern})$")] = "en-US"
    time_zone: Annotated[str, Field(pattern=f"^(?:{_TZ.pattern})$")] = "UTC"


class LicensingSection(_Section):
    mode: str = "none"
    """``kms-client``, ``none`` or ``file:PATH`` (PATH made absolute when the spec loads)."""

    @property
    def kind(self) -> Literal["kms-client", "none", "file"]:
        if self.mode.startswith("file:") and len(self.mode) > len("file:"):
            return "file"
        return "kms-client" if self.mode == "kms-client" else "none"

    @property
    def key_file(self) -> Path | None:
        return Path(self.mode[len("file:") :]) if self.kind == "file" else None


class DriversSection(_Section):
    virtio_win_iso: SpecPath
    extra: Annotated[tuple[SpecPath, ...], Field(strict=False)] = ()


class AgentSection(_Section):
    msi: SpecPath


class TimeoutsSection(_Section):
    boot: Seconds = 600
    windowspe: Seconds = 3600
    specialize: Seconds = 1800
    firstlogon: Seconds = 1800
    sysprep: Seconds = 1800


class BuildSection(_Section):
    accel: Literal["auto", "kvm", "tcg"] = "auto"
    cpus: Annotated[int, Field(ge=1, le=64)] = 2
    memory_mib: Annotated[int, Field(ge=512, le=1_048_576)] = 4096
    keep_disk_on_failure: bool = False
    timeouts: TimeoutsSection = TimeoutsSection()


class PublishSection(_Section):
    name: Annotated[str, Field(min_length=1, max_length=255)] | None = None
    disk_format: Literal["qcow2", "raw"] = "qcow2"
    compression: Literal["none", "zstd"] = "none"
    visibility: Literal["private", "shared", "community", "public"] = "private"
    # Glance keeps min_disk and min_ram in 32-bit integer columns
    min_disk_gib: Annotated[int, Field(ge=1, le=GLANCE_INT_MAX)] | None = None
    min_ram_mib: Annotated[int, Field(ge=0, le=GLANCE_INT_MAX)] = 2048
    properties: dict[str, str] = Field(default_factory=dict)


class ImageSpec(_Section):
    """A whole spec. Construct it with ``load_spec``; ``path`` is the file it came from."""

    image: ImageSection
    source: SourceSection
    firmware: FirmwareSection = FirmwareSection()
    disk: DiskSection = DiskSection()
    network: NetworkSection = NetworkSection()
    locale: LocaleSection = LocaleSection()
    licensing: LicensingSection = LicensingSection()
    drivers: DriversSection
    agent: AgentSection
    build: BuildSection = BuildSection()
    publish: PublishSection = PublishSection()

    _path: Path | None = PrivateAttr(default=None)
    _base: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        if isinstance(context, Mapping):
            self._path = context.get("path")
            self._base = context.get("base")

    @model_validator(mode="before")
    @classmethod
    def _licence_path(cls, data: Any, info: ValidationInfo) -> Any:
        """``file:keys/x.key`` -> ``file:/abs/keys/x.key`` (relative to the spec's folder)."""
        lic = data.get("licensing") if isinstance(data, dict) else None
        mode = lic.get("mode") if isinstance(lic, dict) else None
        if isinstance(mode, str) and mode.startswith("file:") and len(mode) > len("file:"):
            try:
                path = _resolve(mode[len("file:") :], info)
            except ValueError as exc:
                raise ValueError(f"licensing.mode: {exc}") from None
            data = {**data, "licensing": {**lic, "mode": f"file:{path}"}}  # type: ignore[dict-item]
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> ImageSpec:
        problems = cross_field_problems(self)
        if problems:
            raise ValueError("; ".join(f"{key}: {msg}" for key, msg in problems))
        return self

    # -- derived values -----------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The spec file (None when built in code)."""
        return self._path

    @property
    def min_disk_gib(self) -> int:
        return self.publish.min_disk_gib or self.disk.size_gib

    @property
    def publish_name(self) -> str:
        return self.publish.name or self.image.name

    def product_key(self) -> str | None:
        """The key the answer files carry: the KMS client setup key for ``kms-client``, the
        file's key for ``file:``, None for ``none``. Never logged (see wincloud.secret)."""
        if self.licensing.kind == "kms-client":
            return kms_client_key(self.source.version, self.source.resolved_edition_id())
        if self.licensing.kind == "file":
            assert self.licensing.key_file is not None
            try:
                return read_key_file(self.licensing.key_file, where="licensing.mode")
            except ValueError as exc:
                raise ConfigError(str(exc), subject=self._where()) from None
        return None

    def require_files(self, *which: str) -> None:
        """Check that the files the calling command needs exist (all of FILE_KEYS if none
        are named); one ConfigError naming every missing one by its key."""
        problems: list[str] = []
        for key in which or FILE_KEYS:
            if key not in FILE_KEYS:
                raise ValueError(f"unknown file key {key!r}; one of {', '.join(FILE_KEYS)}")
            if key == "source":
                name = "source.iso" if self.source.iso is not None else "source.wim"
                problems.append(_missing(name, self.source.media, folder=False))
            elif key == "drivers.virtio_win_iso":
                problems.append(_missing(key, self.drivers.virtio_win_iso, folder=False))
            elif key == "agent.msi":
                problems.append(_missing(key, self.agent.msi, folder=False))
            else:
                for i, folder in enumerate(self.drivers.extra):
                    problems.append(_missing(f"drivers.extra[{i}]", folder, folder=True))
        found = [p for p in problems if p]
        if found:
            raise ConfigError(
                "; ".join(found),
                subject=self._where(),
                hint="paths are relative to the spec file's folder",
            )

    def _where(self, key: str | None = None) -> str:
        where = str(self._path) if self._path else "<spec>"
        return f"{where}:{key}" if key else where

    def canonical(self) -> dict[str, Any]:
        """The spec as plain data, paths relative to the spec's folder where they are under
        it (so moving a spec with its files keeps its digest)."""
        data: dict[str, Any] = self.model_dump(mode="json")
        base = self._base

        def rel(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: rel(v) for k, v in value.items()}
            if isinstance(value, list):
                return [rel(v) for v in value]
            if isinstance(value, str) and base is not None:
                for prefix in ("", "file:"):
                    if value.startswith(prefix) and Path(value[len(prefix) :]).is_absolute():
                        path = Path(value[len(prefix) :])
                        if path.is_relative_to(base):
                            return prefix + path.relative_to(base).as_posix()
            return value

        return {k: rel(v) for k, v in data.items()}

    def digest(self) -> str:
        """sha256 (hex) of the canonical content: sorted keys, compact JSON, defaults filled
        in. The key file's content is not part of it (only its path)."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_spec(path: Path) -> ImageSpec:
    """Read, parse and check a spec file; ConfigError (subject = the file) on any problem."""
    path = Path(path)
    where = str(path)
    try:
        raw = read_regular(path, limit=MAX_SPEC_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot read the spec ({exc.strerror})", subject=where) from None
    except ValueError as exc:
        raise ConfigError(f"the spec is {exc}", subject=where, hint="give a TOML file") from None
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) is not part of the TOML
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"not valid TOML ({exc})", subject=where, hint="fix its syntax") from None
    return parse_spec(data, path=path.resolve())


def parse_spec(data: Mapping[str, Any], *, path: Path) -> ImageSpec:
    """Check spec data (as TOML gives it) read from ``path`` (its folder is the base)."""
    where = str(path)
    context = {"base": path.parent, "path": path}
    try:
        return ImageSpec.model_validate(dict(data), context=context)
    except ValidationError as err:
        problems = [_describe(e) for e in err.errors(include_url=False)]
        raise ConfigError(
            "; ".join(problems),
            subject=where,
            hint="docs/images.md lists every key of an image spec",
        ) from None
    except ValueError as exc:  # a key file that cannot be read
        raise ConfigError(str(exc), subject=where) from None


_LANGUAGE_TAG: Final = "a language tag such as en-US"
_PATTERN_HELP: Final = {
    "name": "lower-case letters, digits, '.', '_' or '-' (first a letter or digit, 63 at most)",
    "edition": "printable ASCII (answer files are ASCII)",
    "edition_id": "an EditionID such as ServerStandard",
    "ui_language": _LANGUAGE_TAG,
    "system_locale": _LANGUAGE_TAG,
    "user_locale": _LANGUAGE_TAG,
    "input_locale": "a language tag (en-US) or a keyboard pair (0409:00000409)",
    "time_zone": 'a Windows time-zone id such as "UTC" or "W. Europe Standard Time"',
}


def _describe(error: Mapping[str, Any]) -> str:
    loc = [str(p) if isinstance(p, str) else f"[{p}]" for p in error["loc"]]
    key = ".".join(loc).replace(".[", "[")
    kind, msg = error["type"], str(error["msg"])
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        return msg if not key else f"{key}: {msg}"
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: missing (required)"
    if kind == "tuple_type":  # drivers.extra: pydantic's name for what TOML calls an array
        return f"{key}: should be a list ([...]), not {type(error['input']).__name__}"
    if kind == "string_pattern_mismatch":
        field = str(error["loc"][-1]) if error["loc"] else ""
        what = _PATTERN_HELP.get(field, "text of another form")
        return f"{key}: {error['input']!r} is not {what}"
    return f"{key}: {msg}"
