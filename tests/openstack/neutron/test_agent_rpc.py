"""Our agent's RPC loop over oslo.messaging's fake transport against the real ML2 plugin's RPC
callbacks (the endpoints the plugin serves on q-plugin and q-reports-plugin), with a FakeHost as
the Hyper-V host. The plugin's casts (port update/delete, security-group changes) reach the
agent through the same transport."""

from __future__ import annotations

from tests.openstack.neutron.base import (
    HOST,
    AgentHarness,
    HypervMl2TestCase,
    agent_config,
    fake_host,
)
from wincloud.hyperv.host import VmSpec
from wincloud.hyperv.neutron.rpc import NeutronPluginRpc
from wincloud.hyperv.ports import PortVlan


class HypervAgentRpcTestCase(AgentHarness, HypervMl2TestCase):
    def test_report_state_registers_the_agent(self):
        agents = self.driver.get_agents(self.context, filters={"host": [HOST]})
        self.assertEqual(["HyperV agent"], [a["agent_type"] for a in agents])
        self.assertTrue(agents[0]["alive"])

    def test_bound_port_is_wired_and_goes_active(self):
        port = self.bound_port_with_nic()
        self.assertEqual("DOWN", self.show_port(port["id"])["status"])
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
        wired = self.host.get_port("vm-1", port["id"])
        self.assertEqual(
            ("external", PortVlan.access(42), False), (wired.switch, wired.vlan, wired.mac_spoofing)
        )

    def test_security_group_rule_change_applies_the_acl_diff(self):
        port = self.bound_port_with_nic()
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
        before = set(self.host.list_port_acls("vm-1", port["id"]))
        sg_id = port["security_groups"][0]
        self.add_rule(
            sg_id,
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix="198.51.100.0/24",
        )

        def ssh_allowed():
            return any(
                r.remote_ip == "198.51.100.0/24"
                for r in self.host.list_port_acls("vm-1", port["id"])
            )

        self.poll_until(ssh_allowed, "the new ACL")
        after = set(self.host.list_port_acls("vm-1", port["id"]))
        added = after - before
        self.assertEqual(
            [("inbound", "TCP", "22", True)],
            [(r.direction, r.protocol, r.local_port, r.stateful) for r in added],
        )
        self.assertEqual(set(), before - after)

    def test_port_delete_disconnects_the_nic(self):
        port = self.bound_port_with_nic()
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
        self._delete("ports", port["id"], as_admin=True)
        self.poll_until(lambda: self.host.get_port("vm-1", port["id"]).switch is None, "disconnect")

    def add_rule(self, sg_id, **fields):
        rule = {"security_group_id": sg_id, "direction": "ingress", "ethertype": "IPv4", **fields}
        req = self.new_create_request(
            "security-group-rules", {"security_group_rule": rule}, self.fmt
        )
        res = req.get_response(self.api)
        self.assertEqual(201, res.status_int, res.body)

    def test_remote_group_rule_expands_to_the_members_addresses(self):
        port = self.bound_port_with_nic(cidr="10.20.30.0/24")
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
        ip = port["fixed_ips"][0]["ip_address"]
        sg_id = port["security_groups"][0]
        # allow web traffic from members of the port's own group: today that is the port itself
        self.add_rule(
            sg_id, protocol="tcp", port_range_min=80, port_range_max=80, remote_group_id=sg_id
        )

        def from_members():
            acls = self.host.list_port_acls("vm-1", port["id"])
            return [r.remote_ip for r in acls if r.local_port == "80"]

        self.poll_until(lambda: from_members() == [f"{ip}/32"], "the member's address")

    def test_a_new_member_is_added_to_the_remote_group_rule(self):
        port = self.bound_port_with_nic(cidr="10.20.30.0/24")
        sg_id = port["security_groups"][0]
        self.add_rule(
            sg_id, protocol="tcp", port_range_min=80, port_range_max=80, remote_group_id=sg_id
        )
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
        other = self._make_port(self.fmt, port["network_id"], security_groups=[sg_id])["port"]
        other_ip = other["fixed_ips"][0]["ip_address"]

        def members():
            acls = self.host.list_port_acls("vm-1", port["id"])
            return sorted(r.remote_ip for r in acls if r.local_port == "80")

        # security_groups_member_updated reaches the agent; the first port now admits the second
        self.poll_until(lambda: f"{other_ip}/32" in members(), "the new member")
        self.assertEqual(2, len(members()))


class HypervAgentServiceTestCase(HypervMl2TestCase):
    """service.run: vSwitch check, state report, consumers, bounded polling, shutdown."""

    def setUp(self):
        super().setUp()
        self.start_plugin_rpc()

    def test_run_wires_a_port_within_its_polls(self):
        from wincloud.hyperv.neutron import service

        host = fake_host(HOST)
        host.create_vm(VmSpec("vm-1"))
        self.register_agent(HOST)  # binding needs a live agent before the port exists
        port = self.make_bound_port(self.make_vlan_network("physnet1", 42)["id"], HOST)
        host.add_nic("vm-1", port["id"])
        agent = service.run(
            agent_config(HOST), hosts={HOST: host}, rpc=NeutronPluginRpc(), max_polls=2
        )
        self.assertEqual([port["id"]], list(agent.bound_ports(HOST)))
        self.assertEqual("ACTIVE", self.show_port(port["id"])["status"])
        self.assertTrue(host.closed)
