"""The agent loop against FakeHosts and a fake Neutron server that keeps port state."""

from __future__ import annotations

from typing import Any

import pytest

from wincloud.errors import ConfigError
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import SwitchInfo, VmSpec
from wincloud.hyperv.neutron import AGENT_TYPE
from wincloud.hyperv.neutron.agent import NetworkAgent, TrunkInfo
from wincloud.hyperv.neutron.config import parse_config
from wincloud.hyperv.ports import PortVlan

CONFIG = """
[AGENT]
physical_network_vswitch_mappings = physnet*:external
local_network_vswitch = private
[host:hv01]
address = fake:
"""
SSH = {
    "direction": "ingress",
    "ethertype": "IPv4",
    "protocol": "tcp",
    "port_range_min": 22,
    "port_range_max": 22,
}


class FakeNeutron:
    """The plugin side: ports with their binding and status, security groups, QoS, trunks."""

    def __init__(self) -> None:
        self.ports: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, list[dict[str, Any]]] = {"sg1": [dict(SSH)]}
        self.qos: dict[str, list[dict[str, Any]]] = {}
        self.trunks: dict[str, list[int]] = {}
        self.trunk_status: dict[str, str] = {}
        self.states: list[dict[str, Any]] = []

    def add_port(self, port_id: str, host: str = "hv01", **fields: Any) -> None:
        self.ports[port_id] = {
            "port_id": port_id,
            "network_id": "net1",
            "network_type": "vlan",
            "physical_network": "physnet1",
            "segmentation_id": 101,
            "admin_state_up": True,
            "port_security_enabled": True,
            "security_groups": ["sg1"],
            "host": host,
            "status": "DOWN",
            **fields,
        }

    def report_state(self, state):
        self.states.append(state)

    def get_devices_details_list(self, devices, host):
        out = []
        for d in devices:
            p = self.ports.get(d)
            if p is None or p["host"] != host:
                out.append({"device": d})
            else:
                out.append({"device": d, **{k: v for k, v in p.items() if k != "status"}})
        return out

    def update_device_up(self, device, host):
        self.ports[device]["status"] = "ACTIVE"

    def update_device_down(self, device, host):
        if device in self.ports:
            self.ports[device]["status"] = "DOWN"

    def security_group_info(self, devices):
        return {
            "devices": {d: {"security_groups": self.ports[d]["security_groups"]} for d in devices},
            "security_groups": self.groups,
            "sg_member_ips": {},
        }

    def qos_rules(self, policy_id):
        return self.qos.get(policy_id, [])

    def trunk_details(self, port_id):
        vlans = self.trunks.get(port_id)
        if vlans is None:
            return None
        return TrunkInfo(f"trunk-{port_id}", port_id, tuple((f"sub-{v}", v) for v in vlans))

    def trunk_wired(self, trunk, host):
        self.trunk_status[trunk.trunk_id] = "ACTIVE"


@pytest.fixture
def env():
    host = FakeHost(switches=(SwitchInfo("external", "External"), SwitchInfo("private", "Private")))
    host.create_vm(VmSpec("vm1"))
    neutron = FakeNeutron()
    agent = NetworkAgent(parse_config(CONFIG), {"hv01": host}, neutron)
    return host, neutron, agent


def test_state_report_names_the_agent_type_and_mappings(env):
    _host, neutron, agent = env
    agent.report_state()
    agent.report_state()
    first, second = neutron.states
    assert first["agent_type"] == AGENT_TYPE and first["host"] == "hv01"
    assert first["configurations"]["vswitch_mappings"] == {"physnet.*$": "external"}
    assert (first["start_flag"], second["start_flag"]) == (True, False)


def test_a_bound_port_is_wired_and_reported_up(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    port = host.get_port("vm1", "p1")
    assert (port.switch, port.vlan, port.mac_spoofing) == ("external", PortVlan.access(101), False)
    assert neutron.ports["p1"]["status"] == "ACTIVE"
    acls = host.list_port_acls("vm1", "p1")
    assert any(r.local_port == "22" and r.action == "allow" for r in acls)
    assert any(r.action == "deny" and r.direction == "inbound" for r in acls)


def test_a_nic_neutron_does_not_know_is_left_alone(env):
    host, _neutron, agent = env
    host.add_nic("vm1", "not-a-port")
    agent.poll_once()
    assert host.get_port("vm1", "not-a-port").switch is None


def test_port_update_rewires_after_a_change(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    neutron.ports["p1"]["port_security_enabled"] = False
    agent.port_update({"id": "p1"})
    agent.poll_once()
    assert host.get_port("vm1", "p1").mac_spoofing is True
    assert host.list_port_acls("vm1", "p1") == []


def test_security_group_change_applies_only_the_diff(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    before = set(host.list_port_acls("vm1", "p1"))
    neutron.groups["sg1"].append({**SSH, "port_range_min": 443, "port_range_max": 443})
    agent.security_groups_changed(["sg1"])
    agent.poll_once()
    after = set(host.list_port_acls("vm1", "p1"))
    assert before < after and [r.local_port for r in after - before] == ["443"]


def test_port_delete_disconnects_the_nic(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    del neutron.ports["p1"]
    agent.port_delete("p1")
    agent.poll_once()
    assert host.get_port("vm1", "p1").switch is None
    assert agent.bound_ports("hv01") == {}


def test_a_removed_nic_is_reported_down(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    host.remove_nic("vm1", "p1")
    agent.poll_once()
    assert neutron.ports["p1"]["status"] == "DOWN"


def test_trunk_and_qos(env):
    host, neutron, agent = env
    neutron.add_port("p1", qos_policy_id="gold")
    neutron.trunks["p1"] = [200]
    neutron.qos["gold"] = [{"type": "bandwidth_limit", "max_kbps": 5000}]
    host.add_nic("vm1", "p1")
    agent.poll_once()
    port = host.get_port("vm1", "p1")
    assert port.vlan == PortVlan("trunk", None, 101, (101, 200))
    assert neutron.trunk_status == {"trunk-p1": "ACTIVE"}
    assert port.max_bandwidth_bps == 5_000_000


def test_an_unmapped_physnet_is_not_reported_up(env):
    host, neutron, agent = env
    neutron.add_port("p1", physical_network="elsewhere")
    host.add_nic("vm1", "p1")
    for _ in range(5):
        agent.poll_once()
    assert neutron.ports["p1"]["status"] == "DOWN"
    assert host.get_port("vm1", "p1").switch is None


def test_an_ovs_switch_is_refused(env):
    host, _neutron, agent = env
    host.add_switch(SwitchInfo("external", "External", ("Open vSwitch Extension",)))
    with pytest.raises(ConfigError, match="Open vSwitch"):
        agent.validate_vswitches()


def test_a_missing_switch_is_refused(env):
    host, neutron, _ = env
    agent = NetworkAgent(
        parse_config(
            CONFIG.replace("local_network_vswitch = private", "local_network_vswitch = x")
        ),
        {"hv01": host},
        neutron,
    )
    with pytest.raises(ConfigError, match="no vSwitch 'x'"):
        agent.validate_vswitches()


def test_an_update_retries_a_port_that_failed(env):
    host, neutron, agent = env
    neutron.add_port("p1", physical_network="elsewhere")
    host.add_nic("vm1", "p1")
    for _ in range(5):
        agent.poll_once()
    neutron.ports["p1"]["physical_network"] = "physnet2"
    agent.port_update({"id": "p1"})
    agent.poll_once()
    assert neutron.ports["p1"]["status"] == "ACTIVE"
    assert host.get_port("vm1", "p1").switch == "external"


def test_network_delete_rechecks_its_ports(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    host.add_nic("vm1", "p1")
    agent.poll_once()
    host.disconnect_nic("vm1", "p1")  # drift the agent would not see by itself
    agent.network_delete("net1")
    agent.poll_once()
    assert host.get_port("vm1", "p1").switch == "external"


def test_a_subport_change_rewires_the_known_parent(env):
    host, neutron, agent = env
    neutron.add_port("p1")
    neutron.trunks["p1"] = [200]
    host.add_nic("vm1", "p1")
    agent.poll_once()
    neutron.trunks["p1"] = [200, 300]
    agent.trunk_changed("trunk-p1")  # a SubPort push names only its trunk
    agent.poll_once()
    assert host.get_port("vm1", "p1").vlan.allowed_vlan_ids == (101, 200, 300)
