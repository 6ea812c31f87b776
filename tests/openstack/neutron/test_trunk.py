"""Trunks with the trunk service plugin loaded: our trunk driver lets Neutron accept a trunk on a
`hyperv` port, and the trunk push reaches the agent, which puts the parent NIC in trunk mode."""

from __future__ import annotations

import oslo_messaging
from neutron_lib import rpc as n_rpc
from neutron_lib.plugins import directory

from tests.openstack.neutron.base import AgentHarness, HypervMl2TestCase
from wincloud.hyperv.neutron.rpc import stop_consumers
from wincloud.hyperv.ports import PortVlan


class HypervTrunkTestCase(AgentHarness, HypervMl2TestCase):
    def get_additional_service_plugins(self):
        return {"trunk": "trunk"}

    def setUp(self):
        super().setUp()
        trunk_plugin = directory.get_plugin("trunk")
        trunk_plugin.start_rpc_listeners()  # the Trunk pull provider and the TrunkSkeleton
        server = n_rpc.get_server(
            oslo_messaging.Target(topic="trunk", server="neutron-server"),
            [trunk_plugin._rpc_server],
        )
        server.start()
        self.addCleanup(stop_consumers, [server])

    def test_trunk_on_a_bound_port_puts_the_nic_in_trunk_mode(self):
        parent = self.bound_port_with_nic(vlan=42)
        self.wait_active(parent)
        other_net = self.make_vlan_network("physnet1", 43)
        sub = self._make_port(self.fmt, other_net["id"])["port"]
        body = {
            "trunk": {
                "port_id": parent["id"],
                "sub_ports": [
                    {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 200}
                ],
            }
        }
        res = self.new_create_request("trunks", body, self.fmt).get_response(self.api)
        self.assertEqual(201, res.status_int, res.body)

        def vlan():
            return self.host.get_port("vm-1", parent["id"]).vlan

        self.poll_until(lambda: vlan().mode == "trunk", "trunk mode")
        self.assertEqual(PortVlan("trunk", None, 42, (42, 200)), vlan())
        trunk_id = res.json["trunk"]["id"]

        def trunk_status():
            res = self.new_show_request("trunks", trunk_id).get_response(self.api)
            return self.deserialize(self.fmt, res)["trunk"]["status"]

        # the agent binds the sub-port to the parent's host, reports it up, marks the trunk ACTIVE
        self.poll_until(lambda: trunk_status() == "ACTIVE", "trunk ACTIVE")
        sub_now = self.show_port(sub["id"])
        self.assertEqual(("ACTIVE", "hv01"), (sub_now["status"], sub_now["binding:host_id"]))
