"""The real ML2 plugin (Neutron's Ml2PluginV2TestCase: SQLite, WebTest API) with our `hyperv`
mechanism driver loaded through its `neutron.ml2.mechanism_drivers` entry point."""

from __future__ import annotations

import time
from typing import Any

import oslo_messaging
from neutron.db import agents_db
from neutron.tests.common import helpers
from neutron.tests.unit.plugins.ml2 import test_plugin
from neutron_lib import rpc as n_rpc
from neutron_lib.agent import topics

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import SwitchInfo, VmSpec
from wincloud.hyperv.neutron.agent import NetworkAgent
from wincloud.hyperv.neutron.config import parse_config
from wincloud.hyperv.neutron.rpc import NeutronPluginRpc, start_consumers, stop_consumers

HOST = "hv01"
WAIT_S = 10.0

AGENT_CONFIG = """
[AGENT]
physical_network_vswitch_mappings = {mappings}
local_network_vswitch = private
[host:{host}]
address = fake:
"""
PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")


class StateRecorder:
    """Only report_state: what our agent would send to the plugin."""

    def __init__(self) -> None:
        self.states: list[dict[str, Any]] = []

    def report_state(self, state: dict[str, Any]) -> None:
        self.states.append(state)


def fake_host(name: str) -> FakeHost:
    return FakeHost(
        name, switches=(SwitchInfo("external", "External"), SwitchInfo("private", "Private"))
    )


def agent_config(host: str, mappings: str = "physnet*:external"):
    return parse_config(AGENT_CONFIG.format(host=host, mappings=mappings))


class HypervMl2TestCase(test_plugin.Ml2PluginV2TestCase):
    _mechanism_drivers = ["hyperv"]  # noqa: RUF012 (Neutron's attribute)

    def register_agent(self, host: str, mappings: str = "physnet*:external") -> dict[str, Any]:
        """Register the agent with exactly the state our NetworkAgent reports."""
        recorder = StateRecorder()
        NetworkAgent(agent_config(host, mappings), {host: fake_host(host)}, recorder).report_state()
        return helpers._register_agent(recorder.states[0], plugin=self.driver)

    def make_vlan_network(self, physnet: str = "physnet1", vlan: int = 42) -> dict[str, Any]:
        values = {PROVIDER[0]: "vlan", PROVIDER[1]: physnet, PROVIDER[2]: vlan}
        return self._make_network(
            self.fmt, "net1", True, as_admin=True, arg_list=PROVIDER, **values
        )["network"]

    def make_bound_port(self, network_id: str, host: str) -> dict[str, Any]:
        values = {"binding:host_id": host, "device_owner": "compute:nova", "device_id": "vm-1"}
        res = self._make_port(
            self.fmt,
            network_id,
            as_admin=True,
            arg_list=("binding:host_id", "device_owner", "device_id"),
            **values,
        )
        return res["port"]

    def show_port(self, port_id: str) -> dict[str, Any]:
        return self._show("ports", port_id, as_admin=True)["port"]

    def start_plugin_rpc(self) -> None:
        """Serve the ML2 plugin's own RPC endpoints on q-plugin and q-reports-plugin over the
        harness's fake transport, as neutron-server's RPC workers would."""
        # the harness sets rpc_response_timeout=0 ("return immediately"); our calls get replies
        self.config(rpc_response_timeout=10)
        n_rpc._BackingOffContextWrapper.reset_timeouts()
        self.driver._setup_rpc()
        servers = [
            n_rpc.get_server(
                oslo_messaging.Target(topic=topics.PLUGIN, server="neutron-server"),
                self.driver.endpoints,
            ),
            n_rpc.get_server(
                oslo_messaging.Target(topic=topics.REPORTS, server="neutron-server"),
                [agents_db.AgentExtRpcCallback()],
            ),
        ]
        for server in servers:
            server.start()
        self.addCleanup(stop_consumers, servers)


class AgentHarness:
    """Our NetworkAgent on a FakeHost, talking to the plugin over the fake transport."""

    def setUp(self):
        super().setUp()
        self.start_plugin_rpc()
        self.host = fake_host(HOST)
        self.host.create_vm(VmSpec("vm-1"))
        self.agent = NetworkAgent(agent_config(HOST), {HOST: self.host}, NeutronPluginRpc())
        self.agent.validate_vswitches()
        self.agent.report_state()
        consumers = start_consumers(self.agent, HOST)
        self.addCleanup(stop_consumers, consumers)

    def poll_until(self, done, what):
        """Poll the agent until done() (casts arrive on other threads); bounded in time."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            self.agent.poll_once()
            if done():
                return
            time.sleep(0.05)
        self.fail(f"timed out waiting for {what}")

    def bound_port_with_nic(self, cidr=None, vlan=42):
        net = self.make_vlan_network("physnet1", vlan)
        if cidr:
            self._make_subnet(self.fmt, {"network": net}, cidr.replace("0/24", "1"), cidr)
        port = self.make_bound_port(net["id"], HOST)
        self.host.add_nic("vm-1", port["id"], mac=port["mac_address"])  # what Nova's driver does
        return port

    def wait_active(self, port):
        self.poll_until(lambda: self.show_port(port["id"])["status"] == "ACTIVE", "ACTIVE")
