"""The real ML2 plugin (Neutron's Ml2PluginV2TestCase: SQLite, WebTest API) with our `hyperv`
mechanism driver loaded through its `neutron.ml2.mechanism_drivers` entry point."""

from __future__ import annotations

from typing import Any

from neutron.tests.common import helpers
from neutron.tests.unit.plugins.ml2 import test_plugin

from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import SwitchInfo
from wincloud.hyperv.neutron.agent import NetworkAgent
from wincloud.hyperv.neutron.config import parse_config

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
