"""Physical network -> vSwitch mappings, as the agent is configured and as it reports them.

Configuration (networking-hyperv's ``physical_network_vswitch_mappings``): ``physnet:vswitch``
entries where the physical network may use ``*`` wildcards (``physnet*:external``). The agent
reports them to Neutron as anchored regular expressions (``physnet.*$`` -> ``external``), the form
networking-hyperv agents put in ``configurations.vswitch_mappings``; the mechanism driver matches
a segment's physical network against those patterns. An entry written ``re:PATTERN:vswitch`` is
taken as a regular expression as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from wincloud.errors import ConfigError


def wildcard_pattern(physnet: str) -> str:
    return re.escape(physnet.strip()).replace("\\*", ".*") + "$"


def physnet_matches(physnet: str | None, patterns: Iterable[str]) -> bool:
    """Whether a reported pattern matches the physical network (re.match, as the old driver)."""
    name = physnet or ""
    for pattern in patterns:
        try:
            if re.match(pattern, name):
                return True
        except re.error:
            continue  # a bad pattern from some agent matches nothing
    return False


@dataclass(frozen=True)
class VswitchMappings:
    patterns: tuple[tuple[str, str], ...] = ()  # (anchored regex, vSwitch), config order
    local_vswitch: str | None = None  # networking-hyperv's local_network_vswitch

    @classmethod
    def parse(
        cls, entries: Iterable[str], local_vswitch: str | None = None, *, subject: str = ""
    ) -> VswitchMappings:
        out: list[tuple[str, str]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            regex = entry.startswith("re:")
            body = entry[3:] if regex else entry
            physnet, sep, vswitch = body.rpartition(":")
            if not sep or not physnet.strip() or not vswitch.strip():
                raise ConfigError(
                    f"a mapping is physical_network:vswitch, not {raw!r}",
                    subject=subject or "physical_network_vswitch_mappings",
                    hint="for example physnet1:external or physnet*:external",
                )
            pattern = physnet.strip() if regex else wildcard_pattern(physnet)
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"not a regular expression: {physnet!r} ({exc})",
                    subject=subject or "physical_network_vswitch_mappings",
                ) from exc
            out.append((pattern, vswitch.strip()))
        return cls(tuple(out), (local_vswitch or "").strip() or None)

    def report(self) -> dict[str, str]:
        """``configurations.vswitch_mappings`` for the agent's state report."""
        return dict(self.patterns)

    def vswitches(self) -> list[str]:
        names = [v for _, v in self.patterns]
        if self.local_vswitch:
            names.append(self.local_vswitch)
        return list(dict.fromkeys(names))

    def find(self, network_type: str, physical_network: str | None) -> str | None:
        """The vSwitch for a segment; None when nothing maps it (the port cannot be bound)."""
        if network_type == "local":
            return self.local_vswitch
        for pattern, vswitch in self.patterns:
            if re.match(pattern, physical_network or ""):
                return vswitch
        return None


def from_report(mappings: Mapping[str, str] | None) -> list[str]:
    """The patterns in an agent's reported ``vswitch_mappings`` (whatever agent sent them)."""
    return [p for p in (mappings or {}) if isinstance(p, str)]
