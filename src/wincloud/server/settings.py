"""Server settings: defaults, the TOML config file and validation."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any

from wincloud.errors import ConfigError
from wincloud.secret import Secret

MAX_TOKEN_TTL = 21600


class TokenMode(StrEnum):
    OPTIONAL = "optional"
    REQUIRED = "required"


class Freshness(StrEnum):
    NOTIFY = "notify"
    STRICT = "strict"


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(value: str, *, what: str = "--listen") -> Listen:
    """``HOST:PORT`` or ``[V6]:PORT`` -> Listen; ConfigError naming ``what`` otherwise."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    try:
        if not sep or not host:
            raise ValueError
        ip_address(host) if host != "localhost" else None
        number = int(port)
        if not 0 <= number <= 65535:
            raise ValueError
    except ValueError:
        raise ConfigError(
            f"not a listen address: {value!r}",
            subject=what,
            hint="write HOST:PORT, e.g. 169.254.169.254:80 or [::1]:8775",
        ) from None
    return Listen(host, number)


@dataclass(frozen=True)
class ServerSettings:
    listen: Listen = field(default_factory=lambda: Listen("127.0.0.1", 8775))
    admin_listen: Listen | None = None
    # Metadata proxy (X-Instance-ID + X-Instance-ID-Signature): honoured only with a secret.
    proxy_shared_secret: Secret | None = None
    # Metadata proxies whose X-Forwarded-For is believed: a request from one of these networks
    # is identified by the rightmost X-Forwarded-For address that is not itself a proxy.
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    token_mode: TokenMode = TokenMode.OPTIONAL
    # Key that signs IMDSv2 tokens; random per process when unset (tokens die on restart).
    token_key: Secret | None = None
    admin_token: Secret | None = None
    # Rendered trees kept in memory: at most this many, and at most this many bytes.
    cache_size: int = 100_000
    cache_bytes: int = 96 * 1024 * 1024
    max_password_size: int = 1020
    # Connections: a client must finish its request headers (and body) within
    # header_timeout seconds of its first byte; an idle keep-alive connection is closed after
    # idle_timeout. One source address holds at most max_connections_per_client connections
    # (trusted_proxies and connection_cap_exempt are not capped); the whole service at most
    # max_connections (0: the open-file limit, raised to its hard limit, minus a reserve).
    header_timeout: float = 10.0
    idle_timeout: float = 5.0
    max_connections_per_client: int = 32
    max_connections: int = 0
    connection_cap_exempt: tuple[IPv4Network | IPv6Network, ...] = ()
    # A password post waits at most this long for the database, then answers 503 so the guest
    # retries: below the 5 s a guest agent waits for the answer.
    store_timeout: float = 3.0
    # PostgreSQL: "notify" follows LISTEN/NOTIFY (changes seen within milliseconds);
    # "strict" also asks the database for the newest change before every answer.
    freshness: Freshness = Freshness.NOTIFY
    # "stderr", "off", or a file path: one line per request, written in batches off the
    # request path.
    access_log: str = "stderr"
    workers: int = 1
    # Render the trees of new and changed records (and, at start, of the newest records)
    # in the background, before their guests ask, while the cache has room for them.
    prewarm: bool = True


_CLI = "command line"
_SECRETS = {"proxy_shared_secret", "token_key", "admin_token"}


def _parse_networks(
    value: Any, where: str, key: str = "trusted_proxies"
) -> tuple[IPv4Network | IPv6Network, ...]:
    if isinstance(value, tuple) and all(isinstance(v, IPv4Network | IPv6Network) for v in value):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{key} must be a list of addresses or networks",
            subject=where,
            hint=f'e.g. {key} = ["10.0.0.2", "fd00::/64"]',
        )
    try:
        return tuple(ip_network(v, strict=False) for v in value)
    except ValueError as exc:
        raise ConfigError(f"not an address or network ({exc})", subject=where) from None


def load_settings(path: Path | None, **overrides: Any) -> ServerSettings:
    """Defaults, then the ``[metadata]`` table of a TOML file, then CLI overrides (not None)."""
    values: dict[str, Any] = {}
    if path is not None:
        values.update(_read_toml(path))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return _build(values, source=str(path) if path else _CLI)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file ({exc.strerror})", subject=str(path), hint="check --config"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file is not UTF-8 text (byte {exc.start})",
            subject=str(path),
            hint="save it as UTF-8 (TOML files are UTF-8)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file is not valid TOML ({exc})", subject=str(path), hint="fix its syntax"
        ) from None
    unknown = sorted(set(data) - {"metadata"})
    if unknown:
        raise ConfigError(
            f"unknown section or key {unknown[0]!r} at the top level",
            subject=str(path),
            hint="every setting goes in the [metadata] table (docs/metadata-service.md)",
        )
    table = data.get("metadata", {})
    if not isinstance(table, dict):
        raise ConfigError("[metadata] must be a table", subject=str(path))
    return table


_POSITIVE_INTS = {
    "cache_size",
    "cache_bytes",
    "max_password_size",
    "workers",
    "max_connections_per_client",
}
_NON_NEGATIVE_INTS = {"max_connections"}
_POSITIVE_SECONDS = {"header_timeout", "idle_timeout", "store_timeout"}


def _number(key: str, value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} must be a number, not {value!r}", subject=where)
    if key in _POSITIVE_SECONDS:
        if not 0 < value <= 3600:
            raise ConfigError(f"{key} must be seconds in (0, 3600]", subject=where)
        return float(value)
    if not isinstance(value, int):
        raise ConfigError(f"{key} must be a whole number", subject=where)
    if key in _POSITIVE_INTS and value < 1:
        raise ConfigError(f"{key} must be a positive integer", subject=where)
    if key in _NON_NEGATIVE_INTS and value < 0:
        raise ConfigError(f"{key} must be 0 or more", subject=where)
    if key == "workers" and value > 64:
        raise ConfigError("workers must be at most 64", subject=where)
    return value


# Words an operator may mean as a setting, not as a file name ("stdout" would otherwise become
# a file called stdout in the working directory).
_NOT_FILE_NAMES = {"stdout", "none", "null", "no", "false", "disabled", "-", "syslog", "journal"}


def _access_log(value: Any, where: str) -> str:
    """ "stderr" or "off" in any case, else a file path; ConfigError for anything else."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError('access_log must be "stderr", "off" or a file path', subject=where)
    word = value.strip().lower()
    if word in ("stderr", "off"):
        return word
    if word in _NOT_FILE_NAMES:
        raise ConfigError(
            f'access_log is "stderr", "off" or a file path, not {value!r}',
            subject=where,
            hint='"off" turns it off; "stderr" reaches the journal under systemd; '
            "a file name needs a directory part (./stdout) to be taken as one",
        )
    return value


def _build(values: dict[str, Any], *, source: str) -> ServerSettings:
    known = {f.name for f in fields(ServerSettings)}
    for key in values:
        if key not in known:
            raise ConfigError(
                f"unknown setting {key!r}",
                subject=source,
                hint="valid settings: " + ", ".join(sorted(known)),
            )
    out: dict[str, Any] = {}
    for key, value in values.items():
        where = f"--{key.replace('_', '-')}" if source == _CLI else f"{source}:{key}"
        if key in {"listen", "admin_listen"}:
            out[key] = value if isinstance(value, Listen) else parse_listen(str(value), what=where)
        elif key in _SECRETS:
            text = value.reveal() if isinstance(value, Secret) else value
            if not isinstance(text, str) or len(text) < 16:
                raise ConfigError(
                    "secrets must be strings of at least 16 characters",
                    subject=where,
                    hint="generate one: python3 -c 'import secrets; print(secrets.token_hex(32))'",
                )
            out[key] = Secret(text)
        elif key == "token_mode":
            try:
                out[key] = TokenMode(value)
            except ValueError:
                raise ConfigError(
                    f"token_mode must be 'optional' or 'required', not {value!r}", subject=where
                ) from None
        elif key in _POSITIVE_INTS | _NON_NEGATIVE_INTS | _POSITIVE_SECONDS:
            out[key] = _number(key, value, where)
        elif key in {"trusted_proxies", "connection_cap_exempt"}:
            out[key] = _parse_networks(value, where, key)
            if key == "trusted_proxies" and any(net.prefixlen == 0 for net in out[key]):
                raise ConfigError(
                    "trusted_proxies holds a network of every address (/0): every guest would "
                    "be a trusted proxy, believed when it names another address in "
                    "X-Forwarded-For and free of the per-client connection cap",
                    subject=where,
                    hint="list only the metadata proxies' own addresses, e.g. "
                    '["10.0.0.2", "fd00::2"]',
                )
        elif key == "freshness":
            try:
                out[key] = Freshness(value)
            except ValueError:
                raise ConfigError(
                    f"freshness must be 'notify' or 'strict', not {value!r}", subject=where
                ) from None
        elif key == "prewarm":
            if not isinstance(value, bool):
                raise ConfigError(f"prewarm must be true or false, not {value!r}", subject=where)
            out[key] = value
        elif key == "access_log":
            out[key] = _access_log(value, where)
    return ServerSettings(**out)
