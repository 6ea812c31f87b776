"""WindowsNetwork: adapters and their configuration through WMI root/StandardCimv2
(MSFT_NetAdapter, MSFT_NetIPInterface for DHCP and MTU, MSFT_NetIPAddress and MSFT_NetRoute
with their static Create methods, MSFT_DNSClientServerAddress, MSFT_DNSClientGlobalSetting).

Each planned physical link is matched by MAC; bonds become LBFO teams and VLANs team
interfaces or tagged adapters (``teaming.py``). The whole plan is checked against the machine
before anything changes. Then the interface each link lands on (the adapter, the team's
interface, the VLAN's team interface, the tagged adapter) gets its addresses, routes, DNS
servers and MTU the same way. Static configuration turns DHCP off first (Windows refuses a
static address on a DHCP interface); addresses and routes that the plan no longer holds are
removed (only manual ones: leases and router-advertised ones are left alone). Adapters
configured by an earlier plan but absent from this one go back to DHCP; teams, team
interfaces and VLAN tags an earlier plan made and this one lacks are removed. What wincloud
made is recorded under ``HKLM\\SOFTWARE\\wincloud\\network``.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any, Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Adapter, InterfacePlan, NetworkPlan
from wincloud.platform.validate import check_plan
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.wmi import (
    CIMV2,
    STANDARD_CIMV2,
    Value,
    Wmi,
    WmiObject,
    check_return,
)
from wincloud.platform.windows.teaming import Layout, WindowsTeams

log = logging.getLogger(__name__)

NS: Final = STANDARD_CIMV2
IPV4: Final = 2
IPV6: Final = 23
ORIGIN_MANUAL: Final = 1
ROUTE_NETMGMT: Final = 3
STATE_KEY: Final = r"SOFTWARE\wincloud\network"


def normalize_mac(value: str) -> str:
    return value.replace("-", ":").lower()


def _family(text: str) -> int:
    return IPV4 if ipaddress.ip_address(text.split("/", maxsplit=1)[0]).version == 4 else IPV6


def _check_macs(plan: NetworkPlan, adapters: dict[str, WmiObject]) -> None:
    """Every planned MAC (bond members first: the error names their bond) has an adapter."""
    for iface in sorted(plan.interfaces, key=lambda i: i.kind != "bond"):
        for mac in iface.members if iface.kind == "bond" else (iface.mac,):
            if iface.kind != "vlan" and mac not in adapters:
                bond = f" (a member of bond {iface.name})" if iface.kind == "bond" else ""
                raise PlatformError(
                    f"no network adapter with this MAC address{bond}",
                    operation="network",
                    subject=mac,
                    hint="check the instance's network_data against Get-NetAdapter",
                )


class WindowsNetwork:
    def __init__(
        self,
        wmi: Wmi,
        registry: FullRegistry,
        *,
        sleep: Callable[[float], None] = time.sleep,
        wait_seconds: int = 30,
    ) -> None:
        self.wmi = wmi
        self.registry = registry
        self.teams = WindowsTeams(wmi)
        self.sleep = sleep
        self.wait_seconds = wait_seconds
        """How long a new team interface may take to appear (polled once a second)."""

    def _adapters(self) -> dict[str, WmiObject]:
        """Physical adapters by MAC (team interfaces carry a member's MAC: left out)."""
        nics = self.teams.team_nics()
        return {
            normalize_mac(str(a.get("MacAddress"))): a
            for a in self.wmi.query(NS, "MSFT_NetAdapter")
            if a.get("MacAddress") and str(a.get("Name")).lower() not in nics
        }

    def adapters(self) -> list[Adapter]:
        """Every adapter, team interfaces included."""
        found = self.wmi.query(NS, "MSFT_NetAdapter")
        return sorted(
            (
                Adapter(str(a.get("Name")), normalize_mac(str(a.get("MacAddress") or "")) or None)
                for a in found
            ),
            key=lambda a: a.name,
        )

    def dhcp_servers(self) -> list[str]:
        """``DHCPServer`` of every IP-enabled adapter with DHCP on (Win32_NetworkAdapter
        Configuration, root/cimv2), by interface index."""
        rows = self.wmi.query(CIMV2, "Win32_NetworkAdapterConfiguration", {"IPEnabled": True})
        servers: dict[str, None] = {}
        for row in sorted(rows, key=lambda r: int(r.get("InterfaceIndex") or 0)):
            server = str(row.get("DHCPServer") or "")
            if row.get("DHCPEnabled") and server and server != "255.255.255.255":
                servers[server] = None
        return list(servers)

    def _index(self, name: str, *, wait: bool) -> int:
        """The InterfaceIndex of the adapter ``name``; ``wait``: a team interface, polled
        until it shows up with TCP/IP bound (Windows takes a few seconds)."""
        if not wait:
            return int(
                self.wmi.query(NS, "MSFT_NetAdapter", {"Name": name})[0].get("InterfaceIndex")
            )
        for attempt in range(self.wait_seconds + 1):
            rows = self.wmi.query(NS, "MSFT_NetAdapter", {"Name": name})
            if rows:
                index = int(rows[0].get("InterfaceIndex"))
                if self._interface(index, IPV4) is not None:
                    return index
            if attempt < self.wait_seconds:
                self.sleep(1.0)
        raise PlatformError(
            f"adapter did not appear with TCP/IP bound within {self.wait_seconds} s",
            operation="network",
            subject=name,
            hint="check Get-NetAdapter and Get-NetLbfoTeam; the next run tries again",
        )

    def _interface(self, index: int, family: int) -> WmiObject | None:
        rows = self.wmi.query(
            NS, "MSFT_NetIPInterface", {"InterfaceIndex": index, "AddressFamily": family}
        )
        return rows[0] if rows else None

    def _set_interface(self, row: WmiObject, props: dict[str, Any]) -> bool:
        wanted = {k: v for k, v in props.items() if row.get(k) != v}
        if wanted:
            self.wmi.put(NS, row.path, wanted)
        return bool(wanted)

    def _addresses(self, index: int, family: int, wanted: list[str], dhcp: bool) -> bool:
        changed = False
        row = self._interface(index, family)
        if row is None:
            if wanted or dhcp:
                raise PlatformError(
                    "the adapter has no interface for this address family",
                    operation="network",
                    subject=f"InterfaceIndex={index}",
                )
            return False
        if dhcp or wanted:
            changed |= self._set_interface(row, {"Dhcp": 1 if dhcp else 0})
        manual = {
            (str(a.get("IPAddress")), int(a.get("PrefixLength"))): a
            for a in self.wmi.query(
                NS, "MSFT_NetIPAddress", {"InterfaceIndex": index, "AddressFamily": family}
            )
            if a.get("PrefixOrigin") == ORIGIN_MANUAL
        }
        goal = set()
        for cidr in wanted:
            iface = ipaddress.ip_interface(cidr)
            goal.add((str(iface.ip), iface.network.prefixlen))
        for key, row_addr in manual.items():
            if key not in goal:
                self.wmi.delete(NS, row_addr.path)
                changed = True
        for address, prefix in sorted(goal - set(manual)):
            params: dict[str, Value] = {
                "InterfaceIndex": index,
                "IPAddress": address,
                "PrefixLength": prefix,
                "AddressFamily": family,
            }
            check_return(
                self.wmi.call(NS, "MSFT_NetIPAddress", "Create", params), "Create", address
            )
            changed = True
        return changed

    def _routes(self, index: int, iface: InterfacePlan) -> bool:
        changed = False
        existing = {
            (str(r.get("DestinationPrefix")), str(r.get("NextHop"))): r
            for r in self.wmi.query(NS, "MSFT_NetRoute", {"InterfaceIndex": index})
            if r.get("Protocol") == ROUTE_NETMGMT
        }
        goal = {
            (str(ipaddress.ip_network(r.destination, strict=False)), r.gateway)
            for r in iface.routes
        }
        for key, row in existing.items():
            if key not in goal:
                self.wmi.delete(NS, row.path)
                changed = True
        for destination, hop in sorted(goal - set(existing)):
            route: dict[str, Value] = {
                "InterfaceIndex": index,
                "DestinationPrefix": destination,
                "NextHop": hop,
            }
            check_return(self.wmi.call(NS, "MSFT_NetRoute", "Create", route), "Create", hop)
            changed = True
        return changed

    def _mtu(self, index: int, mtu: int) -> bool:
        changed = False
        for family, minimum in ((IPV4, 576), (IPV6, 1280)):
            row = self._interface(index, family)
            if row is not None and mtu >= minimum:
                changed |= self._set_interface(row, {"NlMtu": mtu})
        return changed

    def _dns(self, index: int, servers: tuple[str, ...]) -> bool:
        changed = False
        for family in (IPV4, IPV6):
            wanted = tuple(s for s in servers if _family(s) == family)
            for row in self.wmi.query(
                NS,
                "MSFT_DNSClientServerAddress",
                {"InterfaceIndex": index, "AddressFamily": family},
            ):
                if tuple(row.get("ServerAddresses") or ()) != wanted:
                    self.wmi.put(NS, row.path, {"ServerAddresses": wanted})
                    changed = True
        return changed

    def _search(self, suffixes: tuple[str, ...]) -> bool:
        for row in self.wmi.query(NS, "MSFT_DNSClientGlobalSetting"):
            if tuple(row.get("SuffixSearchList") or ()) != suffixes:
                self.wmi.put(NS, row.path, {"SuffixSearchList": suffixes})
                return True
        return False

    def _configure(self, index: int, iface: InterfacePlan, plan: NetworkPlan) -> bool:
        changed = False
        for family, dhcp in ((IPV4, iface.dhcp4), (IPV6, iface.dhcp6)):
            wanted = [a for a in iface.addresses if _family(a) == family]
            changed |= self._addresses(index, family, wanted, dhcp)
        changed |= self._routes(index, iface)
        if iface.mtu is not None:
            changed |= self._mtu(index, iface.mtu)
        if plan.dns_servers:
            changed |= self._dns(index, plan.dns_servers)
        return changed

    def _links(self, layout: Layout, planned: set[str], state: dict[str, list[str]]) -> bool:
        """Teams and VLANs: what earlier plans made and this one lacks goes, then the rest is
        created or brought in line."""
        changed = False
        adapters = self._adapters()
        for name in state["teams"]:
            if name not in planned:
                changed |= self.teams.remove("MSFT_NetLbfoTeam", name)
        for name in state["vlans"]:
            if name not in layout.team_vlans:
                changed |= self.teams.remove("MSFT_NetLbfoTeamNic", name)
        for mac in state["tagged"]:
            if mac not in layout.tagged and mac in adapters:
                changed |= self.teams.set_vlan(str(adapters[mac].get("Name")), 0)
        for team in layout.teams:
            changed |= self.teams.shrink(team)
        for team in layout.teams:
            changed |= self.teams.ensure_team(team)
        for name, (team_name, vlan_id) in layout.team_vlans.items():
            changed |= self.teams.ensure_team_nic(name, team_name, vlan_id)
        for mac, vlan_id in layout.tagged.items():
            changed |= self.teams.set_vlan(str(adapters[mac].get("Name")), vlan_id)
        return changed

    def _state(self) -> dict[str, list[str]]:
        return {
            name: self.registry.read_multi(STATE_KEY, name) or []
            for name in ("configured", "teams", "vlans", "tagged")
        }

    def _record(self, values: dict[str, list[str]], state: dict[str, list[str]]) -> None:
        for name, value in values.items():
            if state[name] != value:
                self.registry.write_multi(STATE_KEY, name, value)
                state[name] = value

    def apply(self, plan: NetworkPlan) -> bool:
        check_plan(plan)
        state = self._state()
        adapters = self._adapters()
        _check_macs(plan, adapters)  # like the checks of prepare: before any change
        layout = self.teams.prepare(plan, adapters, state["teams"])
        now = {
            "configured": [i.mac for i in plan.interfaces if i.kind == "physical"],
            "teams": [t.name for t in layout.teams],
            "vlans": sorted(layout.team_vlans),
            "tagged": sorted(layout.tagged),
        }
        # what this run may make is recorded first, so a run cut short leaves nothing unowned
        self._record(
            {k: sorted(set(state[k]) | set(v)) for k, v in now.items() if k != "configured"}, state
        )
        changed = self._links(layout, set(now["teams"]), state)
        made = set(now["teams"]) | set(layout.team_vlans)
        for iface, name in layout.targets:
            changed |= self._configure(self._index(name, wait=name in made), iface, plan)
        adapters = self._adapters()
        for mac in state["configured"]:
            if mac not in now["configured"] and mac in adapters:
                index = int(adapters[mac].get("InterfaceIndex"))
                if self._interface(index, IPV4) is None:
                    continue  # in a team: no TCP/IP of its own
                reset = InterfacePlan(mac=mac, dhcp4=True, dhcp6=True)
                changed |= self._configure(index, reset, NetworkPlan())
                log.info("adapter back to DHCP mac=%s", mac)
        if plan.dns_search:
            changed |= self._search(plan.dns_search)
        self._record(now, state)
        if changed:
            log.info("network configured interfaces=%d", len(plan.interfaces))
        return changed
