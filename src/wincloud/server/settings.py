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
    cache_size: int = 4096
    max_password_size: int = 1020


_CLI = "command line"
_SECRETS = {"proxy_shared_secret", "token_key", "admin_token"}


def _parse_networks(value: Any, where: str) -> tuple[IPv4Network | IPv6Network, ...]:
    if isinstance(value, tuple) and all(isinstance(v, IPv4Network | IPv6Network) for v in value):
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            "trusted_proxies must be a list of addresses or networks",
            subject=where,
            hint='e.g. trusted_proxies = ["10.0.0.2", "fd00::/64"]',
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
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file is not valid TOML ({exc})", subject=str(path), hint="fix its syntax"
        ) from None
    table = data.get("metadata", {})
    if not isinstance(table, dict):
        raise ConfigError("[metadata] must be a table", subject=str(path))
    return table


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
        elif key in {"cache_size", "max_password_size"}:
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{key} must be a positive integer", subject=where)
            out[key] = value
        elif key == "trusted_proxies":
            out[key] = _parse_networks(value, where)
    return ServerSettings(**out)
