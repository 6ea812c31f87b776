"""Neutron's own conformance cases for agent-based mechanism drivers
(neutron.tests.unit.plugins.ml2._test_mech_agent), run against our `hyperv` driver."""

from __future__ import annotations

from typing import ClassVar

from neutron.tests.unit.plugins.ml2 import _test_mech_agent as base
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api

from wincloud.hyperv.neutron import AGENT_TYPE, VIF_TYPE
from wincloud.hyperv.neutron.mappings import VswitchMappings
from wincloud.hyperv.neutron.mech_driver import HypervMechanismDriver

# what our agent reports for "fake_physical_network:external" (an anchored pattern)
GOOD = {"vswitch_mappings": VswitchMappings.parse(["fake_physical_network:external"]).report()}
BAD = {"vswitch_mappings": VswitchMappings.parse(["wrong_physical_network:external"]).report()}


def _agent(host, alive, configurations):
    return {
        "alive": alive,
        "configurations": configurations,
        "host": host,
        "agent_type": AGENT_TYPE,
    }


class HypervMechanismBaseTestCase(base.AgentMechanismBaseTestCase):
    VIF_TYPE = VIF_TYPE
    VIF_DETAILS: ClassVar[dict[str, object]] = {
        portbindings.CAP_PORT_FILTER: True,
        portbindings.VIF_DETAILS_CONNECTIVITY: "l2",
    }
    AGENT_TYPE = AGENT_TYPE
    AGENTS: ClassVar[list[dict]] = [_agent("host", True, GOOD)]
    AGENTS_DEAD: ClassVar[list[dict]] = [_agent("dead_host", False, GOOD)]
    AGENTS_BAD: ClassVar[list[dict]] = [
        _agent("bad_host_1", False, GOOD),
        _agent("bad_host_2", True, BAD),
    ]

    def setUp(self):
        super().setUp()
        self.driver = HypervMechanismDriver()
        self.driver.initialize()


class HypervMechanismGenericTestCase(
    HypervMechanismBaseTestCase, base.AgentMechanismGenericTestCase
):
    pass


class HypervMechanismLocalTestCase(HypervMechanismBaseTestCase, base.AgentMechanismLocalTestCase):
    pass


class HypervMechanismFlatTestCase(HypervMechanismBaseTestCase, base.AgentMechanismFlatTestCase):
    pass


class HypervMechanismVlanTestCase(HypervMechanismBaseTestCase, base.AgentMechanismVlanTestCase):
    pass


class HypervMechanismGreTestCase(HypervMechanismBaseTestCase):
    """GRE (and any tunnel type) is not served: the conformance segments stay unbound."""

    def test_type_gre_is_not_bound(self):
        segments = [
            {
                api.ID: "gre_segment_id",
                api.NETWORK_TYPE: "gre",
                api.SEGMENTATION_ID: 1234,
                api.NETWORK_ID: "fake_network_id",
            }
        ]
        context = base.FakePortContext(self.AGENT_TYPE, self.AGENTS, segments)
        self.driver.bind_port(context)
        self._check_unbound(context)


class HypervMechanismPatternTestCase(HypervMechanismBaseTestCase):
    """Wildcard mappings bind every physical network they match, as networking-hyperv's did."""

    AGENTS: ClassVar[list[dict]] = [
        _agent("host", True, {"vswitch_mappings": {"fake_physical.*$": "external"}})
    ]

    def test_wildcard_pattern_binds_vlan(self):
        context = base.FakePortContext(
            self.AGENT_TYPE, self.AGENTS, base.AgentMechanismVlanTestCase.VLAN_SEGMENTS
        )
        self.driver.bind_port(context)
        self._check_bound(context, base.AgentMechanismVlanTestCase.VLAN_SEGMENTS[1])
