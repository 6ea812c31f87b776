"""Set the host name from the metadata (``hostname``, else ``name``).

Decisions: the first label is the host name, the rest its DNS domain. On Windows the first
label becomes the computer name, cut to 15 characters when ``hostname.netbios_compatible``
(NetBIOS' limit: longer names make Windows derive a different NetBIOS name), and the domain
becomes the primary DNS suffix only with ``hostname.use_fqdn``. On POSIX ``/etc/hostname``
holds the short name and ``/etc/hosts`` the FQDN, or ``/etc/hostname`` the whole FQDN with
``hostname.use_fqdn``. Characters a host name cannot hold become '-'. A reboot is asked for
where the OS needs one (Windows, when the name or suffix changed).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, ClassVar, Final, Literal

from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.errors import InvalidMetadata

if TYPE_CHECKING:
    from wincloud.agent.config import HostnameConfig

log = logging.getLogger(__name__)

NETBIOS_MAX: Final = 15
_BAD: Final = re.compile(r"[^A-Za-z0-9-]+")


def _label(text: str) -> str:
    return _BAD.sub("-", text).strip("-")[:63].strip("-")


def decide_hostname(
    wanted: str,
    *,
    family: Literal["posix", "windows"],
    config: HostnameConfig,
    where: str = "hostname",
) -> tuple[str, str]:
    """``(name, domain)`` to give ``Host.set_hostname`` for the wanted name."""
    first, _, rest = wanted.strip().rstrip(".").partition(".")
    label = _label(first)
    domain = ".".join(part for part in (_label(p) for p in rest.split(".")) if part)
    if not label:
        raise InvalidMetadata("holds no usable host name", subject=where)
    if family == "windows":
        if config.netbios_compatible and len(label) > NETBIOS_MAX:
            short = label[:NETBIOS_MAX].rstrip("-")
            log.warning("hostname cut to 15 characters for NetBIOS name=%s was=%s", short, label)
            label = short
        if label.isdigit():
            raise InvalidMetadata(
                "a Windows computer name cannot be only digits",
                subject=where,
                hint="give the instance a name with a letter in it",
            )
        return label, domain if config.use_fqdn else ""
    if config.use_fqdn and domain:
        return f"{label}.{domain}", ""
    return label, domain


def apply_hostname(
    ctx: RunContext, wanted: str, *, where: str, config: HostnameConfig | None = None
) -> Outcome:
    name, domain = decide_hostname(
        wanted, family=ctx.platform.family, config=config or ctx.config.hostname, where=where
    )
    host = ctx.platform.host
    if host.hostname() == name and host.domain() == domain:
        log.info("hostname already set name=%s domain=%s", name, domain)
        return Outcome.DONE
    needs_reboot = host.set_hostname(name, domain=domain)
    log.info("hostname set name=%s domain=%s reboot=%s", name, domain, needs_reboot)
    return Outcome.REBOOT if needs_reboot else Outcome.DONE


class HostnamePlugin:
    name: ClassVar[str] = "hostname"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        metadata = ctx.metadata
        wanted = metadata.hostname or metadata.name
        if not wanted:
            return Outcome.SKIPPED
        field = "hostname" if metadata.hostname else "name"
        return apply_hostname(ctx, wanted, where=f"{metadata.where} {field}")
