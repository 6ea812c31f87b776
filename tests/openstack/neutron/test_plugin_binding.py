"""The real ML2 plugin binds ports with our driver to a registered HyperV agent."""

from __future__ import annotations

from tests.openstack.neutron.base import HypervMl2TestCase
from wincloud.hyperv.neutron import AGENT_TYPE, VIF_TYPE


class HypervPortBindingTestCase(HypervMl2TestCase):
    def test_agent_registers_as_hyperv_agent(self):
        self.register_agent("hv01")
        agents = self.driver.get_agents(self.context, filters={"host": ["hv01"]})
        self.assertEqual([AGENT_TYPE], [a["agent_type"] for a in agents])
        self.assertEqual(
            {"physnet.*$": "external"}, agents[0]["configurations"]["vswitch_mappings"]
        )

    def test_vlan_port_binds_with_vif_type_hyperv(self):
        self.register_agent("hv01")
        net = self.make_vlan_network("physnet1", 42)
        port = self.make_bound_port(net["id"], "hv01")
        self.assertEqual(VIF_TYPE, port["binding:vif_type"])
        self.assertTrue(port["binding:vif_details"]["port_filter"])
        self.assertEqual("hv01", port["binding:host_id"])

    def test_unmapped_physical_network_fails_binding(self):
        self.register_agent("hv01", mappings="physnet2:external")
        net = self.make_vlan_network("physnet1", 43)
        port = self.make_bound_port(net["id"], "hv01")
        self.assertEqual("binding_failed", port["binding:vif_type"])

    def test_host_without_agent_fails_binding(self):
        self.register_agent("hv01")
        net = self.make_vlan_network("physnet1", 44)
        port = self.make_bound_port(net["id"], "hv02")
        self.assertEqual("binding_failed", port["binding:vif_type"])
