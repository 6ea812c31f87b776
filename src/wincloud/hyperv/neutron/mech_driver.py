"""The ML2 mechanism driver ``hyperv`` (entry point ``neutron.ml2.mechanism_drivers``).

It binds a port on a host where a live "HyperV agent" reports a vSwitch for the segment: local
networks always, flat and VLAN networks when one of the agent's ``vswitch_mappings`` patterns
matches the physical network (regular expressions, as networking-hyperv agents report them, so
old and new agents bind alike). The VIF type is ``hyperv``; ``port_filter`` is True because the
agent enforces security groups itself (extended port ACLs).
"""

from __future__ import annotations

from typing import Any

from neutron.plugins.ml2.drivers import mech_agent
from neutron_lib.api.definitions import portbindings

from wincloud.hyperv.neutron import AGENT_TYPE, NETWORK_TYPES, VIF_TYPE
from wincloud.hyperv.neutron.mappings import from_report, physnet_matches


class HypervMechanismDriver(mech_agent.SimpleAgentMechanismDriverBase):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(
            AGENT_TYPE,
            VIF_TYPE,
            {portbindings.CAP_PORT_FILTER: True},
            supported_vnic_types=[portbindings.VNIC_NORMAL],
        )

    def initialize(self) -> None:
        from wincloud.hyperv.neutron import trunk_driver

        super().initialize()
        self.trunk_driver = trunk_driver.create()  # registers with the trunk plugin, if loaded

    @property
    def connectivity(self) -> str:
        return str(portbindings.CONNECTIVITY_L2)

    def get_allowed_network_types(self, agent: Any = None) -> list[str]:
        return list(NETWORK_TYPES)

    def get_mappings(self, agent: Any) -> dict[str, str]:
        return dict((agent.get("configurations") or {}).get("vswitch_mappings") or {})

    def physnet_in_mappings(self, physnet: Any, mappings: Any) -> bool:
        return physnet_matches(physnet, from_report(mappings))
