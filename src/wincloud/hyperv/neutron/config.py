"""The network agent's configuration file (INI; the same file oslo.config reads for
``[DEFAULT] transport_url`` and ``[agent] report_interval``).

networking-hyperv's option names are kept where the meaning is the same::

    [DEFAULT]
    transport_url = rabbit://neutron:secret@controller:5672/
    [AGENT]
    physical_network_vswitch_mappings = physnet1:external, physnet-dc*:external
    local_network_vswitch = private
    polling_interval = 2
    enable_qos_extension = true
    [SECURITYGROUP]
    enable_security_group = true
    [host:hv01]                      # one section per Hyper-V host this agent serves
    address = hv01.example.net       # WinRM endpoint
    neutron_host = hv01              # the host name Nova binds ports to (default: section name)
    auth = negotiate
    user = EXAMPLE\\svc-neutron
    password_env = HV01_PASSWORD     # the password comes from the environment, never the file
    transport = https
    cert_validation = /etc/wincloud/ca.pem

``address = fake:`` uses an in-memory fake host (demos and tests).
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wincloud.errors import ConfigError
from wincloud.hyperv.neutron.mappings import VswitchMappings

HOST_PREFIX = "host:"
FAKE_ADDRESS = "fake:"


@dataclass(frozen=True)
class HostEntry:
    name: str  # the section name
    neutron_host: str
    address: str
    user: str | None = None
    password_env: str | None = None
    transport: str = "https"
    port: int | None = None
    auth: str = "negotiate"
    cert_validation: bool | str = True
    call_timeout_s: float = 120.0

    @property
    def is_fake(self) -> bool:
        return self.address.startswith(FAKE_ADDRESS)


@dataclass(frozen=True)
class AgentConfig:
    mappings: VswitchMappings
    hosts: tuple[HostEntry, ...]
    polling_interval_s: float = 2.0
    report_interval_s: float = 30.0
    enable_security_group: bool = True
    enable_qos: bool = True
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _bool(
    parser: configparser.ConfigParser, section: str, key: str, default: bool, src: str
) -> bool:
    try:
        return parser.getboolean(section, key, fallback=default)
    except ValueError as exc:
        raise ConfigError(f"{key} is true or false", subject=f"{src}:[{section}] {key}") from exc


def _number(
    parser: configparser.ConfigParser, section: str, key: str, default: float, src: str
) -> float:
    try:
        value = parser.getfloat(section, key, fallback=default)
    except ValueError as exc:
        raise ConfigError(f"{key} is a number", subject=f"{src}:[{section}] {key}") from exc
    if value <= 0:
        raise ConfigError(f"{key} must be positive", subject=f"{src}:[{section}] {key}")
    return value


def parse_config(text: str, *, source: str = "<config>") -> AgentConfig:
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise ConfigError(f"not an INI file: {exc}".splitlines()[0], subject=source) from exc
    agent = "AGENT" if parser.has_section("AGENT") else "agent"
    raw = parser.get(agent, "physical_network_vswitch_mappings", fallback="")
    mappings = VswitchMappings.parse(
        [e for e in raw.replace("\n", ",").split(",") if e.strip()],
        parser.get(agent, "local_network_vswitch", fallback=None),
        subject=f"{source}:[{agent}] physical_network_vswitch_mappings",
    )
    if not mappings.vswitches():
        raise ConfigError(
            "no vSwitch configured",
            subject=f"{source}:[{agent}]",
            hint="set physical_network_vswitch_mappings and/or local_network_vswitch",
        )
    hosts: list[HostEntry] = []
    for section in parser.sections():
        if not section.startswith(HOST_PREFIX):
            continue
        name = section[len(HOST_PREFIX) :].strip()
        s = parser[section]
        address = s.get("address", "").strip()
        if not name or not address:
            raise ConfigError(
                "a host section needs a name and an address", subject=f"{source}:[{section}]"
            )
        verify_text = s.get("cert_validation", "true").strip()
        verify: bool | str = (
            verify_text.lower() not in ("false", "no", "0", "off")
            if verify_text.lower() in ("true", "false", "yes", "no", "1", "0", "on", "off")
            else verify_text
        )
        port_text = s.get("port", "").strip()
        hosts.append(
            HostEntry(
                name=name,
                neutron_host=s.get("neutron_host", name).strip(),
                address=address,
                user=s.get("user") or None,
                password_env=s.get("password_env") or None,
                transport=s.get("transport", "https").strip(),
                port=int(port_text) if port_text.isdigit() else None,
                auth=s.get("auth", "negotiate").strip(),
                cert_validation=verify,
                call_timeout_s=_number(parser, section, "call_timeout", 120.0, source),
            )
        )
    if not hosts:
        raise ConfigError(
            "no Hyper-V host configured",
            subject=source,
            hint="add a [host:NAME] section with address = ...",
        )
    neutron_hosts = [h.neutron_host for h in hosts]
    if len(set(neutron_hosts)) != len(neutron_hosts):
        raise ConfigError("two host sections use the same neutron_host", subject=source)
    sg = "SECURITYGROUP" if parser.has_section("SECURITYGROUP") else "securitygroup"
    return AgentConfig(
        mappings=mappings,
        hosts=tuple(hosts),
        polling_interval_s=_number(parser, agent, "polling_interval", 2.0, source),
        report_interval_s=_number(parser, agent, "report_interval", 30.0, source),
        enable_security_group=_bool(parser, sg, "enable_security_group", True, source),
        enable_qos=_bool(parser, agent, "enable_qos_extension", True, source),
        source=source,
    )


def load_config(path: Path) -> AgentConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file: {exc.strerror}", subject=str(path)
        ) from exc
    return parse_config(text, source=str(path))


def host_password(entry: HostEntry) -> str | None:
    if not entry.password_env:
        return None
    value = os.environ.get(entry.password_env)
    if value is None:
        raise ConfigError(
            f"the password variable {entry.password_env} is not set",
            subject=f"[host:{entry.name}] password_env",
        )
    return value


def open_host(entry: HostEntry) -> Any:
    """The host a section names: PsrpHost, or an in-memory FakeHost for ``fake:`` (its switches
    named in the address, ``fake:external,private``; default ``external``)."""
    if entry.is_fake:
        from wincloud.hyperv.fake import FakeHost
        from wincloud.hyperv.host import SwitchInfo

        names = [n.strip() for n in entry.address[len(FAKE_ADDRESS) :].split(",") if n.strip()]
        switches = [SwitchInfo(n, "External") for n in names or ["external"]]
        return FakeHost(entry.neutron_host, switches=switches)
    from wincloud.hyperv.psrp import HostSettings, PsrpHost
    from wincloud.secret import Secret

    password = host_password(entry)
    settings = HostSettings(
        host=entry.address,
        user=entry.user,
        password=Secret(password) if password is not None else None,
        transport=entry.transport,  # type: ignore[arg-type]
        port=entry.port,
        auth=entry.auth,  # type: ignore[arg-type]
        cert_validation=entry.cert_validation,
        call_timeout_s=entry.call_timeout_s,
    )
    return PsrpHost(settings)
