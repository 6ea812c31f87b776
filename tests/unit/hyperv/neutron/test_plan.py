"""One port's plan from the plugin's device details."""

from __future__ import annotations

import pytest

from wincloud.errors import ConfigError
from wincloud.hyperv.neutron.mappings import VswitchMappings
from wincloud.hyperv.neutron.plan import bandwidth_from_rules, is_bindable, plan_port
from wincloud.hyperv.ports import PortVlan

M = VswitchMappings.parse(["physnet*:external"], "private")
DETAILS = {
    "device": "p1",
    "port_id": "p1",
    "network_id": "n1",
    "network_type": "vlan",
    "physical_network": "physnet1",
    "segmentation_id": 101,
    "admin_state_up": True,
    "port_security_enabled": True,
}


def test_vlan_port_is_access_on_the_mapped_switch():
    p = plan_port(DETAILS, M)
    assert (p.vswitch, p.vlan, p.mac_spoofing) == ("external", PortVlan.access(101), False)


def test_flat_and_local_ports_are_untagged():
    assert plan_port({**DETAILS, "network_type": "flat"}, M).vlan == PortVlan()
    local = plan_port({**DETAILS, "network_type": "local", "physical_network": None}, M)
    assert (local.vswitch, local.vlan) == ("private", PortVlan())


def test_trunk_parent_carries_its_subports():
    p = plan_port(DETAILS, M, trunk_vlans=[200, 300])
    assert p.vlan == PortVlan("trunk", None, 101, (101, 200, 300))


def test_port_security_off_allows_mac_spoofing():
    assert plan_port({**DETAILS, "port_security_enabled": False}, M).mac_spoofing is True


def test_admin_down_means_disconnected():
    assert plan_port({**DETAILS, "admin_state_up": False}, M).vswitch is None


@pytest.mark.parametrize("change", [{"network_type": "vxlan"}, {"physical_network": "elsewhere"}])
def test_unservable_segments_are_refused(change):
    with pytest.raises(ConfigError):
        plan_port({**DETAILS, **change}, M)


def test_qos_egress_limits_in_bits():
    bw = bandwidth_from_rules(
        [
            {"type": "bandwidth_limit", "max_kbps": 10000, "direction": "egress"},
            {"type": "bandwidth_limit", "max_kbps": 1, "direction": "ingress"},
            {"type": "minimum_bandwidth", "min_kbps": 2000},
        ]
    )
    assert (bw.max_bps, bw.min_bps) == (10_000_000, 2_000_000)


def test_unbound_entries_are_not_bindable():
    assert not is_bindable({"device": "p1"})
    assert is_bindable(DETAILS)
