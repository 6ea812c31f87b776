"""AgentConfig: the agent's TOML file. Keys are the field names (snake_case); tables
are the nested sections. Unknown keys and wrong types are ConfigError naming ``file:key``.
docs/agent-config.md documents every key and its default."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Final, Literal

import msgspec
from msgspec import Struct, field

from wincloud.agent.plugins import DEFAULT_ORDER
from wincloud.agent.plugins import REGISTRY as PLUGINS
from wincloud.agent.retry import Backoff
from wincloud.agent.sources import DEFAULT_SOURCES
from wincloud.agent.sources import REGISTRY as SOURCES
from wincloud.errors import ConfigError

METADATA_URL: Final = "http://169.254.169.254"


_INTERFACE: Final = re.compile(r"[A-Za-z0-9_.-]{1,15}")


class RetryConfig(Struct, frozen=True):
    attempts: int = 3
    backoff: float = 1.0
    max_delay: float = 10.0

    def to_backoff(self) -> Backoff:
        return Backoff(self.attempts, self.backoff, self.max_delay)


class OpenStackHttpConfig(Struct, frozen=True):
    url: str = METADATA_URL
    ipv6_interface: str = ""
    timeout: float = 5.0


class Ec2Config(Struct, frozen=True):
    url: str = METADATA_URL
    api_version: str = "2009-04-04"
    timeout: float = 5.0
    token_ttl: int = 21600
    require_token: bool = False


class ConfigDriveConfig(Struct, frozen=True):
    label: str = "config-2"
    paths: list[str] = field(default_factory=list)


class NoCloudConfig(Struct, frozen=True):
    label: str = "cidata"
    seed_dirs: list[str] = field(
        default_factory=lambda: ["/var/lib/cloud/seed/nocloud", "/var/lib/cloud/seed/nocloud-net"]
    )


class OpenNebulaConfig(Struct, frozen=True):
    label: str = "CONTEXT"
    paths: list[str] = field(default_factory=list)


class OvfConfig(Struct, frozen=True):
    label: str = "OVF ENV"
    paths: list[str] = field(default_factory=list)


class CloudStackConfig(Struct, frozen=True):
    url: str = ""
    """Empty: the ``data-server`` DNS name, then each DHCP server of the leases."""
    password_port: int = 8080
    password_server: bool = True
    timeout: float = 5.0


class LogConfig(Struct, frozen=True):
    level: Literal["debug", "info", "warning", "error"] = "info"
    file: str = ""
    console: bool = True
    serial_port: str = ""
    format: Literal["text", "json"] = "text"


class UsersConfig(Struct, frozen=True):
    username: str = "admin"
    groups: list[str] = field(default_factory=list)
    username_from_metadata: bool = True


class PasswordConfig(Struct, frozen=True):
    generate: bool = True
    length: int = 20
    from_meta: bool = True
    change_at_first_logon: Literal["never", "given", "always"] = "never"
    check_complexity: bool = True
    min_length: int = 8


class HostnameConfig(Struct, frozen=True):
    use_fqdn: bool = False
    netbios_compatible: bool = True


class SshKeysConfig(Struct, frozen=True):
    administrators_file: bool = True


class NetworkConfig(Struct, frozen=True):
    fallback: Literal["none", "dhcp"] = "none"


class NtpConfig(Struct, frozen=True):
    servers: list[str] = field(default_factory=list)


class TimezoneConfig(Struct, frozen=True):
    name: str = ""


class ExtendVolumesConfig(Struct, frozen=True):
    volumes: list[str] = field(default_factory=list)


class LicensingConfig(Struct, frozen=True):
    product_key: str = ""
    kms_host: str = ""
    avma: bool = False
    kms_client_key: bool = False
    activate: bool = True
    report: bool = True

    def __repr__(self) -> str:  # never the product key itself
        shown = "<set>" if self.product_key else "''"
        return (
            f"LicensingConfig(product_key={shown}, kms_host={self.kms_host!r}, "
            f"avma={self.avma}, kms_client_key={self.kms_client_key}, "
            f"activate={self.activate}, report={self.report})"
        )


class WinRMConfig(Struct, frozen=True):
    https_listener: bool = True
    port: int = 5986
    certificate_thumbprint: str = ""
    certificate_days: int = 3650
    cert_auth: bool = True
    http_listener: bool = False
    http_port: int = 5985
    allow_basic: bool = False
    allow_unencrypted: bool = False


class RdpConfig(Struct, frozen=True):
    enabled: bool = True
    port: int = 3389
    nla: bool = True


class DisplayIdleConfig(Struct, frozen=True):
    timeout: int = 0


class PageFileConfig(Struct, frozen=True):
    mode: Literal["keep", "automatic", "custom"] = "keep"
    paths: list[str] = field(default_factory=lambda: ["C:\\pagefile.sys"])
    initial_mb: int = 0
    maximum_mb: int = 0


class SanPolicyConfig(Struct, frozen=True):
    policy: Literal["keep", "online_all", "offline_shared", "offline_all", "offline_internal"] = (
        "online_all"
    )


class LocalScriptsConfig(Struct, frozen=True):
    path: str = ""
    timeout: float = 300.0


class UserDataConfig(Struct, frozen=True):
    timeout: float = 300.0


class AgentConfig(Struct, frozen=True):
    sources: list[str] = field(default_factory=lambda: list(DEFAULT_SOURCES))
    plugins: list[str] = field(default_factory=lambda: list(DEFAULT_ORDER))
    allow_reboot: bool = True
    max_reboots: int = 5
    retry: RetryConfig = field(default_factory=RetryConfig)
    openstack_http: OpenStackHttpConfig = field(default_factory=OpenStackHttpConfig)
    ec2: Ec2Config = field(default_factory=Ec2Config)
    configdrive: ConfigDriveConfig = field(default_factory=ConfigDriveConfig)
    nocloud: NoCloudConfig = field(default_factory=NoCloudConfig)
    opennebula: OpenNebulaConfig = field(default_factory=OpenNebulaConfig)
    ovf: OvfConfig = field(default_factory=OvfConfig)
    cloudstack: CloudStackConfig = field(default_factory=CloudStackConfig)
    log: LogConfig = field(default_factory=LogConfig)
    users: UsersConfig = field(default_factory=UsersConfig)
    password: PasswordConfig = field(default_factory=PasswordConfig)
    hostname: HostnameConfig = field(default_factory=HostnameConfig)
    ssh_keys: SshKeysConfig = field(default_factory=SshKeysConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    ntp: NtpConfig = field(default_factory=NtpConfig)
    timezone: TimezoneConfig = field(default_factory=TimezoneConfig)
    extend_volumes: ExtendVolumesConfig = field(default_factory=ExtendVolumesConfig)
    licensing: LicensingConfig = field(default_factory=LicensingConfig)
    winrm: WinRMConfig = field(default_factory=WinRMConfig)
    rdp: RdpConfig = field(default_factory=RdpConfig)
    display_idle: DisplayIdleConfig = field(default_factory=DisplayIdleConfig)
    pagefile: PageFileConfig = field(default_factory=PageFileConfig)
    san_policy: SanPolicyConfig = field(default_factory=SanPolicyConfig)
    local_scripts: LocalScriptsConfig = field(default_factory=LocalScriptsConfig)
    userdata: UserDataConfig = field(default_factory=UserDataConfig)


# name -> (minimum, maximum) for the numbers that have bounds
_RANGES: Final[dict[str, tuple[float, float]]] = {
    "retry.attempts": (1, 20),
    "retry.backoff": (0, 300),
    "retry.max_delay": (0, 3600),
    "max_reboots": (0, 100),
    "openstack_http.timeout": (0.1, 600),
    "ec2.timeout": (0.1, 600),
    "ec2.token_ttl": (1, 21600),
    "cloudstack.timeout": (0.1, 600),
    "cloudstack.password_port": (1, 65535),
    "password.length": (12, 128),
    "password.min_length": (0, 128),
    "userdata.timeout": (1, 86400),
    "local_scripts.timeout": (1, 86400),
    "winrm.port": (1, 65535),
    "winrm.http_port": (1, 65535),
    "winrm.certificate_days": (1, 36500),
    "rdp.port": (1, 65535),
    "display_idle.timeout": (0, 86400),
    "pagefile.initial_mb": (0, 16777216),
    "pagefile.maximum_mb": (0, 16777216),
}


def _type_name(kind: Any) -> str:
    if typing.get_origin(kind) is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(kind))
    if typing.get_origin(kind) is list:
        return "a list of strings"
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
    return names.get(kind, "a table")


def _check_value(kind: Any, value: Any) -> bool:
    origin = typing.get_origin(kind)
    if origin is Literal:
        return value in typing.get_args(kind)
    if origin is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if origin in (types.UnionType, typing.Union):
        return any(_check_value(k, value) for k in typing.get_args(kind))
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _build(cls: type[Any], data: dict[str, Any], *, where: str, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    names = set(cls.__struct_fields__)
    values: dict[str, Any] = {}
    for key, value in data.items():
        dotted = prefix + key
        if key not in names:
            raise ConfigError(
                "unknown key",
                subject=f"{where}:{dotted}",
                hint="valid keys here: " + ", ".join(sorted(names)),
            )
        kind = hints[key]
        if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
            if not isinstance(value, dict):
                raise ConfigError("must be a table", subject=f"{where}:{dotted}")
            values[key] = _build(typing.cast(type, kind), value, where=where, prefix=dotted + ".")
            continue
        if not _check_value(kind, value):
            raise ConfigError(f"must be {_type_name(kind)}", subject=f"{where}:{dotted}")
        if dotted in _RANGES:
            low, high = _RANGES[dotted]
            if not low <= value <= high:
                raise ConfigError(
                    f"must be between {low:g} and {high:g}", subject=f"{where}:{dotted}"
                )
        values[key] = float(value) if kind is float else value
    return cls(**values)


def _check_names(config: AgentConfig, where: str) -> None:
    for key, chosen, valid in (
        ("sources", config.sources, SOURCES),
        ("plugins", config.plugins, PLUGINS),
    ):
        for name in chosen:
            if name not in valid:
                raise ConfigError(
                    f"unknown name {name!r}",
                    subject=f"{where}:{key}",
                    hint="valid names: " + ", ".join(sorted(valid)),
                )
        if len(set(chosen)) != len(chosen):
            raise ConfigError("a name appears twice", subject=f"{where}:{key}")
    if not config.sources:
        raise ConfigError("at least one source is needed", subject=f"{where}:sources")


def _check_password(config: AgentConfig, where: str) -> None:
    password = config.password
    if password.length < password.min_length:
        raise ConfigError(
            f"must be at least password.min_length ({password.min_length}), or Windows "
            "would refuse every generated password",
            subject=f"{where}:password.length",
            hint="raise password.length or lower password.min_length",
        )


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a metadata service base URL (None when it can)."""
    from urllib.parse import urlsplit

    if not url or any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        return "is empty or holds a space or control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment or "@" in parts.netloc:
        return "must not hold a query, a fragment or user information"
    return None


def _check_urls(config: AgentConfig, where: str) -> None:
    for key, url in (
        ("openstack_http.url", config.openstack_http.url),
        ("ec2.url", config.ec2.url),
        ("cloudstack.url", config.cloudstack.url or "http://data-server"),
    ):
        problem = _url_problem(url)
        if problem:
            raise ConfigError(
                f"{problem}: {url[:100]!r}",
                subject=f"{where}:{key}",
                hint='give the service\'s base URL, such as "http://169.254.169.254"',
            )
    interface = config.openstack_http.ipv6_interface
    if interface and not _INTERFACE.fullmatch(interface):
        raise ConfigError(
            "not a network interface name",
            subject=f"{where}:openstack_http.ipv6_interface",
            hint="1 to 15 letters, digits, '_', '.', '-' (as ip link shows it), e.g. eth0",
        )


def parse_config(data: dict[str, Any], *, where: str = "config") -> AgentConfig:
    config: AgentConfig = _build(AgentConfig, data, where=where)
    _check_names(config, where)
    _check_password(config, where)
    _check_urls(config, where)
    return config


def load_config(path: Path | None) -> AgentConfig:
    """The file's settings over the defaults; None: the defaults alone."""
    if path is None:
        return AgentConfig()
    import tomllib  # only when there is a file: not on the agent's import path

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file ({exc.strerror})",
            subject=str(path),
            hint="give a readable TOML file with --config, or none for the defaults",
        ) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"not valid TOML ({exc})", subject=str(path), hint="check the file's syntax"
        ) from None
    return parse_config(data, where=str(path))
