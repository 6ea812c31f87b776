"""Contract: vSwitch port features (HyperVPorts) on the fake and on psrp through the replay
server. The replay answers for the port scripts are registered here (the shared backend knows
the HyperVHost scripts only); they render [pscustomobject]s like the scripts project."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.hyperv.replay import clixml as cx
from tests.unit.hyperv.replay.backend import custom
from wincloud.errors import ConfigError, HostObjectExists, HostObjectNotFound
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import SwitchInfo, VmSpec
from wincloud.hyperv.ports import AclRule, HyperVPorts, PortVlan

OVS = "Cloudbase Open vSwitch Extension"


def _ids(text: str) -> list[int]:
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def _handlers(fake: FakeHost) -> dict[str, Any]:
    def get(p):
        s = fake.get_port(p["VMName"], p["NicName"])
        v = s.vlan
        return [
            custom(
                cx.s("VMName", s.vm_name),
                cx.s("NicName", s.nic_name),
                cx.s("SwitchName", s.switch),
                cx.s("VlanMode", v.mode),
                cx.i32("AccessVlanId", v.vlan_id),
                cx.i32("NativeVlanId", v.native_vlan_id or 0 if v.mode == "trunk" else None),
                cx.string_array("AllowedVlanIds", 1, [str(x) for x in v.allowed_vlan_ids]),
                cx.b("MacAddressSpoofing", s.mac_spoofing),
                cx.i64("MaximumBandwidth", s.max_bandwidth_bps),
                cx.i64("MinimumBandwidthAbsolute", s.min_bandwidth_bps),
            )
        ]

    def set_(p):
        vm, nic, action = p["VMName"], p["NicName"], p["Action"]
        if action == "vlan":
            mode = p.get("VlanMode", "untagged")
            if mode == "access":
                vlan = PortVlan.access(p.get("VlanId", 0))
            elif mode == "trunk":
                vlan = PortVlan.trunk(_ids(p["AllowedVlanIdList"]), p.get("NativeVlanId") or None)
            else:
                vlan = PortVlan()
            fake.set_port_vlan_mode(vm, nic, vlan)
        elif action == "security":
            fake.set_port_security(vm, nic, mac_spoofing=p["MacAddressSpoofing"])
        elif action == "bandwidth":
            fake.set_port_bandwidth(
                vm, nic, max_bps=p["MaximumBandwidth"], min_bps=p["MinimumBandwidthAbsolute"]
            )
        return []

    def acl(p):
        vm, nic, action = p["VMName"], p["NicName"], p["Action"]
        if action == "add":
            fake.add_port_acl(
                vm,
                nic,
                AclRule(
                    p["Direction"].lower(),
                    p["Weight"],
                    p["AclAction"].lower(),
                    p["Protocol"],
                    p["RemoteIPAddress"],
                    p["LocalPort"],
                    p["RemotePort"],
                    p["Stateful"],
                    p.get("IdleSessionTimeout", 0),
                ),
            )
            return []
        if action == "remove":
            fake.remove_port_acl(vm, nic, p["Direction"].lower(), p["Weight"])
            return []
        return [
            custom(
                cx.s("Direction", r.direction.capitalize()),
                f'<I32 N="Weight">{r.weight}</I32>',
                cx.s("Action", r.action.capitalize()),
                cx.s("Protocol", r.protocol),
                cx.s("RemoteIPAddress", r.remote_ip),
                cx.s("LocalPort", r.local_port),
                cx.s("RemotePort", r.remote_port),
                cx.b("Stateful", r.stateful),
                f'<I32 N="IdleSessionTimeout">{r.idle_session_timeout_s}</I32>',
            )
            for r in fake.list_port_acls(vm, nic)
        ]

    def extensions(p):
        return [
            custom(
                cx.s("SwitchName", e.switch),
                cx.s("Name", e.name),
                cx.s("ExtensionType", e.extension_type),
                cx.b("Enabled", e.enabled),
                cx.s("Vendor", e.vendor),
            )
            for e in fake.list_switch_extensions(p["Switch"])
        ]

    return {"ports_get": get, "ports_set": set_, "ports_acl": acl, "switch_extensions": extensions}


@pytest.fixture
def port(subject, request):
    if subject.kind == "psrp":
        replay = request.getfixturevalue("replay")
        replay.server.backend.handlers.update(_handlers(replay.fake))
    subject.host.create_vm(VmSpec("vm1"))
    subject.host.add_nic("vm1", "port-1", switch="external")
    return subject


def test_both_hosts_are_port_capable(port):
    assert isinstance(port.host, HyperVPorts)


def test_a_new_port_is_untagged_without_spoofing_or_limits(port):
    s = port.host.get_port("vm1", "port-1")
    assert (s.switch, s.vlan, s.mac_spoofing, s.max_bandwidth_bps) == (
        "external",
        PortVlan(),
        False,
        0,
    )


def test_access_vlan_shows_in_the_nic_list_too(port):
    port.host.set_port_vlan_mode("vm1", "port-1", PortVlan.access(101))
    assert port.host.get_port("vm1", "port-1").vlan == PortVlan.access(101)
    assert port.host.list_nics("vm1")[0].vlan_id == 101


def test_trunk_keeps_native_and_allowed_vlans(port):
    port.host.set_port_vlan_mode("vm1", "port-1", PortVlan.trunk([12, 10, 11, 40], native=10))
    s = port.host.get_port("vm1", "port-1")
    assert s.vlan == PortVlan("trunk", None, 10, (10, 11, 12, 40))
    assert port.host.list_nics("vm1")[0].vlan_id is None


def test_access_after_trunk_leaves_trunk_mode(port):
    port.host.set_port_vlan_mode("vm1", "port-1", PortVlan.trunk([5, 6]))
    port.host.set_port_vlan("vm1", "port-1", 7)
    assert port.host.get_port("vm1", "port-1").vlan == PortVlan.access(7)
    port.host.set_port_vlan_mode("vm1", "port-1", PortVlan())
    assert port.host.get_port("vm1", "port-1").vlan == PortVlan()


@pytest.mark.parametrize(
    "vlan", [PortVlan.access(0), PortVlan.access(4095), PortVlan.trunk([]), PortVlan.trunk([5000])]
)
def test_bad_vlans_are_refused(port, vlan):
    with pytest.raises(ConfigError):
        port.host.set_port_vlan_mode("vm1", "port-1", vlan)


def test_mac_spoofing_on_and_off(port):
    port.host.set_port_security("vm1", "port-1", mac_spoofing=True)
    assert port.host.get_port("vm1", "port-1").mac_spoofing is True
    port.host.set_port_security("vm1", "port-1", mac_spoofing=False)
    assert port.host.get_port("vm1", "port-1").mac_spoofing is False


def test_bandwidth_limits(port):
    port.host.set_port_bandwidth("vm1", "port-1", max_bps=100_000_000, min_bps=10_000_000)
    s = port.host.get_port("vm1", "port-1")
    assert (s.max_bandwidth_bps, s.min_bandwidth_bps) == (100_000_000, 10_000_000)
    with pytest.raises(ConfigError):
        port.host.set_port_bandwidth("vm1", "port-1", max_bps=1000, min_bps=2000)


SSH = AclRule("inbound", 100, "allow", "TCP", "10.0.0.0/24", "22", stateful=True)
DENY_IN = AclRule("inbound", 1, "deny")


def test_acls_are_listed_by_direction_and_weight(port):
    out = AclRule("outbound", 5, "allow", stateful=True)
    for rule in (SSH, out, DENY_IN):
        port.host.add_port_acl("vm1", "port-1", rule)
    assert port.host.list_port_acls("vm1", "port-1") == [DENY_IN, SSH, out]


def test_acl_weight_is_unique_per_direction(port):
    port.host.add_port_acl("vm1", "port-1", SSH)
    with pytest.raises(HostObjectExists):
        port.host.add_port_acl("vm1", "port-1", AclRule("inbound", 100, "deny"))
    port.host.add_port_acl("vm1", "port-1", AclRule("outbound", 100, "deny"))


def test_removing_an_acl(port):
    port.host.add_port_acl("vm1", "port-1", SSH)
    port.host.remove_port_acl("vm1", "port-1", "inbound", 100)
    assert port.host.list_port_acls("vm1", "port-1") == []
    with pytest.raises(HostObjectNotFound):
        port.host.remove_port_acl("vm1", "port-1", "inbound", 100)


@pytest.mark.parametrize(
    "rule",
    [
        AclRule("inbound", 0, "allow"),
        AclRule("inbound", 70000, "allow"),
        AclRule("inbound", 1, "allow", "GRE"),
        AclRule("inbound", 1, "allow", "TCP", "10.0.0.300/8"),
        AclRule("inbound", 1, "allow", "ICMPv4", local_port="22"),
        AclRule("inbound", 1, "deny", stateful=True),
    ],
)
def test_bad_acls_are_refused(port, rule):
    with pytest.raises(ConfigError):
        port.host.add_port_acl("vm1", "port-1", rule)


def test_port_calls_on_a_missing_nic_fail(port):
    with pytest.raises(HostObjectNotFound):
        port.host.get_port("vm1", "port-9")


def test_removed_nic_takes_its_port_state_along(port):
    port.host.add_port_acl("vm1", "port-1", SSH)
    port.host.remove_nic("vm1", "port-1")
    port.host.add_nic("vm1", "port-1")
    assert port.host.list_port_acls("vm1", "port-1") == []


def test_switch_extensions_report_ovs(port):
    port.control.add_switch(SwitchInfo("ovs-br", "External", (OVS,)))
    exts = {e.name: e for e in port.host.list_switch_extensions("ovs-br")}
    assert exts[OVS].enabled and exts[OVS].is_ovs
    assert not any(e.is_ovs for e in port.host.list_switch_extensions("external"))
    with pytest.raises(HostObjectNotFound):
        port.host.list_switch_extensions("nope")
