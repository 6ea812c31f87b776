"""Static networking from network_data.json (addresses, routes, DNS, MTU, bonds and VLANs,
matched to adapters by MAC address), or DHCP on every adapter when there is none and
``network.fallback = "dhcp"``.

Decisions: the whole document is checked before anything is applied. A physical link whose
MAC no adapter has is left out (with the bonds and VLANs built on it), with a warning, unless
the platform lists no adapter at all (an image prepared offline): then everything is written
and applies when the adapters appear.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.plugins.base import Frequency, Outcome, RunContext, Stage
from wincloud.platform.base import InterfacePlan, NetworkPlan

log = logging.getLogger(__name__)


def keep_present(plan: NetworkPlan, macs: set[str]) -> NetworkPlan:
    """The plan without the physical links whose MAC is absent, and what depends on them."""
    dropped = {i.key for i in plan.interfaces if i.kind == "physical" and i.mac not in macs}
    kept: list[InterfacePlan] = []
    for iface in plan.interfaces:  # bonds and VLANs come after what they use
        if iface.key in dropped:
            continue
        if any(m in dropped for m in iface.members) or iface.link in dropped:
            dropped.add(iface.key)
            continue
        kept.append(iface)
    for key in sorted(dropped):
        log.warning("network link left out reason=no-such-adapter link=%s", key)
    return NetworkPlan(tuple(kept), plan.dns_servers, plan.dns_search)


class NetworkPlugin:
    name: ClassVar[str] = "network"
    stage: ClassVar[Stage] = Stage.MAIN
    frequency: ClassVar[Frequency] = Frequency.PER_INSTANCE

    def run(self, ctx: RunContext) -> Outcome:
        metadata = ctx.metadata
        data = metadata.network_data
        adapters = ctx.platform.network.adapters()
        macs = {a.mac for a in adapters if a.mac}
        if data and data.get("networks"):
            plan = parse_network_data(data, where=f"{metadata.where} network_data.json")
            if macs:
                plan = keep_present(plan, macs)
            how = "static"
        elif ctx.config.network.fallback == "dhcp" and macs:
            plan = NetworkPlan(
                tuple(InterfacePlan(mac, dhcp4=True, ipv6_autoconf=True) for mac in sorted(macs))
            )
            how = "dhcp"
        else:
            log.info("network left as it is reason=no-network-data")
            return Outcome.SKIPPED
        changed = ctx.platform.network.apply(plan)
        log.info(
            "network configured how=%s links=%d dns=%s changed=%s",
            how,
            len(plan.interfaces),
            ",".join(plan.dns_servers) or "none",
            changed,
        )
        return Outcome.DONE
