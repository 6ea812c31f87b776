"""The L2 agent's loop, without Neutron: one ``NetworkAgent`` serves one or more Hyper-V hosts,
each of which Neutron sees as an agent of type "HyperV agent" on that host's name.

Per poll (``poll_once``), for each host: list the VMs' NICs (a NIC is named by its Neutron port
id), then
- NICs not seen before, and ports Neutron announced as updated: ask the plugin for their details
  (``get_devices_details_list``), connect each to the vSwitch its segment maps to, set the VLAN
  (access, or trunk for trunk parents), MAC spoofing (on only without port security), the QoS
  limits and the ACLs of its security groups, then ``update_device_up`` (``down`` when the port is
  administratively down);
- NICs that disappeared: ``update_device_down``;
- ports whose security groups changed: recompute and apply the ACL diff.
``port_delete`` disconnects the NIC at once. The RPC transport is behind ``PluginRpc``
(``rpc.py`` implements it with oslo.messaging; the tests use a fake that keeps state).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from wincloud.errors import ConfigError, HyperVError
from wincloud.hyperv.host import HyperVHost
from wincloud.hyperv.neutron import AGENT_BINARY, AGENT_TYPE
from wincloud.hyperv.neutron.acl import diff, rules_for_port
from wincloud.hyperv.neutron.config import AgentConfig
from wincloud.hyperv.neutron.plan import PortPlan, is_bindable, plan_port
from wincloud.hyperv.ports import HyperVPorts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class PortHost(HyperVHost, HyperVPorts, Protocol):
    """A host with both capabilities (FakeHost, PsrpHost)."""


class PluginRpc(Protocol):
    """What the agent asks of the Neutron server (``host`` = the agent's Neutron host name)."""

    def report_state(self, state: dict[str, Any]) -> None: ...
    def get_devices_details_list(self, devices: list[str], host: str) -> list[dict[str, Any]]: ...
    def update_device_up(self, device: str, host: str) -> None: ...
    def update_device_down(self, device: str, host: str) -> None: ...
    def security_group_info(self, devices: list[str]) -> dict[str, Any]: ...
    def qos_rules(self, policy_id: str) -> list[dict[str, Any]]: ...
    def trunk_details(self, port_id: str) -> TrunkInfo | None: ...
    def trunk_wired(self, trunk: TrunkInfo, host: str) -> None: ...


@dataclass(frozen=True)
class TrunkInfo:
    """A trunk whose parent is a port on this agent: its sub-ports as (port id, VLAN)."""

    trunk_id: str
    parent_port_id: str
    subports: tuple[tuple[str, int], ...] = ()


@dataclass
class _HostState:
    neutron_host: str
    host: PortHost
    nics: dict[str, str] = field(default_factory=dict)  # port id -> VM name (last scan)
    bound: dict[str, PortPlan] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)  # NICs Neutron does not know (until updated)
    attempts: dict[str, int] = field(default_factory=dict)
    start_flag: bool = True


class NetworkAgent:
    def __init__(self, config: AgentConfig, hosts: Mapping[str, PortHost], rpc: PluginRpc) -> None:
        self.config = config
        self.rpc = rpc
        self._hosts = {name: _HostState(name, h) for name, h in hosts.items()}
        self._lock = threading.Lock()
        self._updated: set[str] = set()
        self._deleted: set[str] = set()
        self._sg_refresh: set[str] = set()
        self._sg_refresh_all = False
        self._security_groups: dict[str, list[str]] = {}  # port id -> its groups
        self._trunk_parents: dict[str, str] = {}  # trunk id -> parent port id

    # ---- start ------------------------------------------------------------------------------
    def validate_vswitches(self) -> None:
        """Every configured vSwitch exists on every host and has no Open vSwitch extension
        enabled (OVS on Windows owns such a switch; this agent must not touch it)."""
        problems: list[str] = []
        for st in self._hosts.values():
            present = {s.name.casefold() for s in st.host.list_switches()}
            for vswitch in self.config.mappings.vswitches():
                if vswitch.casefold() not in present:
                    problems.append(f"{st.neutron_host}: no vSwitch {vswitch!r}")
                    continue
                ovs = [
                    e.name
                    for e in st.host.list_switch_extensions(vswitch)
                    if e.enabled and e.is_ovs
                ]
                if ovs:
                    problems.append(
                        f"{st.neutron_host}: vSwitch {vswitch!r} has the Open vSwitch "
                        f"extension enabled ({ovs[0]})"
                    )
        if problems:
            raise ConfigError(
                "vSwitch check failed: " + "; ".join(problems),
                subject=self.config.source or "physical_network_vswitch_mappings",
                hint="map physical networks to Hyper-V switches without the OVS extension",
            )

    def report_state(self) -> None:
        for st in self._hosts.values():
            state = {
                "binary": AGENT_BINARY,
                "host": st.neutron_host,
                "topic": "N/A",
                "agent_type": AGENT_TYPE,
                "configurations": {
                    "vswitch_mappings": self.config.mappings.report(),
                    "devices": len(st.bound),
                    "hyperv_host": st.host.name,
                },
                "start_flag": st.start_flag,
            }
            self.rpc.report_state(state)
            st.start_flag = False

    # ---- RPC notifications (any thread) -----------------------------------------------------
    def port_update(self, port: Mapping[str, Any]) -> None:
        with self._lock:
            self._updated.add(str(port.get("id")))

    def port_delete(self, port_id: str) -> None:
        with self._lock:
            self._deleted.add(port_id)

    def network_delete(self, network_id: str) -> None:
        with self._lock:
            for st in self._hosts.values():
                for port_id, plan in list(st.bound.items()):
                    if plan.network_id == network_id:
                        self._updated.add(port_id)

    def trunk_changed(self, trunk_id: str | None, parent_port_id: str | None = None) -> None:
        """A trunk or one of its sub-ports changed: re-wire the parent (known by id or trunk)."""
        with self._lock:
            parent = parent_port_id or self._trunk_parents.get(trunk_id or "")
            if parent:
                self._updated.add(parent)

    def security_groups_changed(self, group_ids: list[str] | None = None) -> None:
        """Rules or members of these groups changed (None: anything, e.g. provider rules)."""
        with self._lock:
            if group_ids is None:
                self._sg_refresh_all = True
                return
            wanted = set(group_ids)
            for port_id, groups in self._security_groups.items():
                if wanted & set(groups):
                    self._sg_refresh.add(port_id)

    # ---- the loop ---------------------------------------------------------------------------
    def poll_once(self) -> None:
        with self._lock:
            updated, self._updated = self._updated, set()
            deleted, self._deleted = self._deleted, set()
            refresh, self._sg_refresh = self._sg_refresh, set()
            refresh_all, self._sg_refresh_all = self._sg_refresh_all, False
        for st in self._hosts.values():
            self._delete(st, deleted)
            self._scan(st)
            removed = [p for p in st.bound if p not in st.nics]
            for port_id in removed:
                del st.bound[port_id]
                self._security_groups.pop(port_id, None)
                self._call(st, port_id, "update_device_down", self.rpc.update_device_down)
            st.skipped -= updated
            for port_id in updated:
                st.attempts.pop(port_id, None)  # an update earns a failed port new attempts
            todo = [
                p
                for p in st.nics
                if p not in st.skipped
                and (p not in st.bound or p in updated)
                and st.attempts.get(p, 0) < MAX_ATTEMPTS
            ]
            if todo:
                self._bind(st, todo)
            acl_ports = [p for p in st.bound if (refresh_all or p in refresh) and p not in todo]
            if acl_ports and self.config.enable_security_group:
                self._apply_acls(st, {p: st.bound[p] for p in acl_ports})

    def _scan(self, st: _HostState) -> None:
        nics: dict[str, str] = {}
        for vm in st.host.list_vms():
            for nic in st.host.list_nics(vm.name):
                nics[nic.name] = vm.name
        st.nics = nics

    def _delete(self, st: _HostState, deleted: set[str]) -> None:
        for port_id in deleted & set(st.nics):
            vm = st.nics[port_id]
            try:
                st.host.disconnect_nic(vm, port_id)
            except HyperVError as exc:
                log.warning(
                    "port disconnect failed port=%s host=%s error=%s", port_id, st.neutron_host, exc
                )
            st.bound.pop(port_id, None)
            st.skipped.add(port_id)  # the NIC stays on the VM until Nova removes it
            self._security_groups.pop(port_id, None)
            log.info("port deleted port=%s host=%s", port_id, st.neutron_host)

    def _call(self, st: _HostState, port_id: str, what: str, fn: Any) -> None:
        try:
            fn(port_id, st.neutron_host)
        except Exception as exc:  # an RPC failure must not stop the loop; retried by Neutron
            log.warning("rpc failed call=%s port=%s error=%s", what, port_id, exc)

    def _bind(self, st: _HostState, port_ids: list[str]) -> None:
        details = self.rpc.get_devices_details_list(port_ids, st.neutron_host)
        plans: dict[str, PortPlan] = {}
        trunks: dict[str, TrunkInfo] = {}
        for entry in details:
            port_id = str(entry.get("device") or entry.get("port_id") or "")
            if port_id not in st.nics:
                continue
            if not is_bindable(entry):
                st.skipped.add(port_id)
                log.info(
                    "port not bound to this host yet port=%s host=%s", port_id, st.neutron_host
                )
                continue
            try:
                trunk = self.rpc.trunk_details(port_id)
                plan = self._plan(entry, trunk)
                self._apply_port(st, st.nics[port_id], plan)
            except (HyperVError, ConfigError) as exc:
                st.attempts[port_id] = st.attempts.get(port_id, 0) + 1
                log.error(
                    "port setup failed port=%s host=%s attempt=%d error=%s",
                    port_id,
                    st.neutron_host,
                    st.attempts[port_id],
                    exc,
                )
                continue
            st.attempts.pop(port_id, None)
            plans[port_id] = plan
            if trunk is not None:
                trunks[port_id] = trunk
        if plans and self.config.enable_security_group:
            self._apply_acls(st, plans)
        for port_id, plan in plans.items():
            st.bound[port_id] = plan
            up = plan.vswitch is not None
            fn = self.rpc.update_device_up if up else self.rpc.update_device_down
            self._call(st, port_id, "update_device_up" if up else "update_device_down", fn)
            trunk = trunks.get(port_id)
            if trunk is not None and up:
                with self._lock:
                    self._trunk_parents[trunk.trunk_id] = port_id
                self._call(
                    st, port_id, "trunk_wired", lambda _p, h, t=trunk: self.rpc.trunk_wired(t, h)
                )

    def _plan(self, entry: Mapping[str, Any], trunk: TrunkInfo | None) -> PortPlan:
        vlans = [vlan for _, vlan in trunk.subports] if trunk is not None else []
        policy = entry.get("qos_policy_id") or entry.get("network_qos_policy_id")
        rules = self.rpc.qos_rules(str(policy)) if policy and self.config.enable_qos else []
        return plan_port(entry, self.config.mappings, trunk_vlans=vlans, qos_rules=rules)

    def _apply_port(self, st: _HostState, vm: str, plan: PortPlan) -> None:
        """Connect, VLAN, MAC spoofing, bandwidth: each set only when it differs."""
        host, nic = st.host, plan.port_id
        current = host.get_port(vm, nic)
        if plan.vswitch is None:
            if current.switch is not None:
                host.disconnect_nic(vm, nic)
            return
        if (current.switch or "").casefold() != plan.vswitch.casefold():
            host.connect_nic(vm, nic, plan.vswitch)
        if current.vlan != plan.vlan:
            host.set_port_vlan_mode(vm, nic, plan.vlan)
        if current.mac_spoofing != plan.mac_spoofing:
            host.set_port_security(vm, nic, mac_spoofing=plan.mac_spoofing)
        bw = plan.bandwidth
        if (current.max_bandwidth_bps, current.min_bandwidth_bps) != (bw.max_bps, bw.min_bps):
            host.set_port_bandwidth(vm, nic, max_bps=bw.max_bps, min_bps=bw.min_bps)
        log.info(
            "port wired port=%s host=%s vswitch=%s vlan=%s",
            nic,
            st.neutron_host,
            plan.vswitch,
            plan.vlan.mode,
        )

    def _apply_acls(self, st: _HostState, plans: Mapping[str, PortPlan]) -> None:
        info = self.rpc.security_group_info(list(plans))
        devices = info.get("devices") or {}
        groups_rules = info.get("security_groups") or {}
        members = info.get("sg_member_ips") or {}
        for port_id, plan in plans.items():
            vm = st.nics.get(port_id)
            if vm is None:
                continue
            groups = list((devices.get(port_id) or {}).get("security_groups") or [])
            with self._lock:
                self._security_groups[port_id] = groups
            wanted = rules_for_port(groups, groups_rules, members)
            try:
                current = st.host.list_port_acls(vm, port_id)
                change = diff(current, wanted, port_security=plan.port_security)
                for rule in change.remove:
                    st.host.remove_port_acl(vm, port_id, rule.direction, rule.weight)
                for rule in change.add:
                    st.host.add_port_acl(vm, port_id, rule)
            except (HyperVError, ConfigError, ValueError) as exc:
                log.error(
                    "port ACLs failed port=%s host=%s error=%s", port_id, st.neutron_host, exc
                )
                with self._lock:
                    self._sg_refresh.add(port_id)
                continue
            if not change.empty:
                log.info(
                    "port ACLs changed port=%s added=%d removed=%d",
                    port_id,
                    len(change.add),
                    len(change.remove),
                )

    # ---- introspection (CLI status, tests) ----------------------------------------------------
    def bound_ports(self, neutron_host: str) -> dict[str, PortPlan]:
        return dict(self._hosts[neutron_host].bound)
