"""WindowsNetwork: adapters and their configuration through WMI root/StandardCimv2
(MSFT_NetAdapter, MSFT_NetIPInterface for DHCP and MTU, MSFT_NetIPAddress and MSFT_NetRoute
with their static Create methods, MSFT_DNSClientServerAddress, MSFT_DNSClientGlobalSetting).

Each planned physical link is matched by MAC. Static configuration turns DHCP off first
(Windows refuses a static address on a DHCP interface); addresses and routes that the plan no
longer holds are removed (only manual ones: leases and router-advertised ones are left alone).
Adapters configured by an earlier plan but absent from this one go back to DHCP. Bonds (LBFO
teams) and VLANs are not written yet: such a plan raises NotSupported.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any, Final

from wincloud.errors import NotSupported, PlatformError
from wincloud.platform.base import Adapter, InterfacePlan, NetworkPlan
from wincloud.platform.validate import check_plan
from wincloud.platform.windows._win32.registry import FullRegistry
from wincloud.platform.windows._win32.wmi import (
    STANDARD_CIMV2,
    Value,
    Wmi,
    WmiObject,
    check_return,
)

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


class WindowsNetwork:
    def __init__(self, wmi: Wmi, registry: FullRegistry) -> None:
        self.wmi = wmi
        self.registry = registry

    def _adapters(self) -> dict[str, WmiObject]:
        return {
            normalize_mac(str(a.get("MacAddress"))): a
            for a in self.wmi.query(NS, "MSFT_NetAdapter")
            if a.get("MacAddress")
        }

    def adapters(self) -> list[Adapter]:
        found = self._adapters()
        return sorted(
            (Adapter(str(a.get("Name")), mac) for mac, a in found.items()), key=lambda a: a.name
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

    def apply(self, plan: NetworkPlan) -> bool:
        check_plan(plan)
        for iface in plan.interfaces:
            if iface.kind != "physical":
                raise NotSupported(
                    f"{iface.kind} links are not configured on Windows yet",
                    operation="network",
                    subject=iface.key,
                    hint="configure teams and VLANs in the image, or plan physical links only",
                )
        adapters = self._adapters()
        changed = False
        for iface in plan.interfaces:
            adapter = adapters.get(iface.mac)
            if adapter is None:
                raise PlatformError(
                    "no network adapter with this MAC address",
                    operation="network",
                    subject=iface.mac,
                    hint="check the instance's network_data against Get-NetAdapter",
                )
            changed |= self._configure(int(adapter.get("InterfaceIndex")), iface, plan)
        previous = self.registry.read_multi(STATE_KEY, "configured") or []
        planned = [iface.mac for iface in plan.interfaces]
        for mac in previous:
            if mac not in planned and mac in adapters:
                reset = InterfacePlan(mac=mac, dhcp4=True, dhcp6=True)
                changed |= self._configure(
                    int(adapters[mac].get("InterfaceIndex")), reset, NetworkPlan()
                )
                log.info("adapter back to DHCP mac=%s", mac)
        if plan.dns_search:
            changed |= self._search(plan.dns_search)
        if previous != planned:
            self.registry.write_multi(STATE_KEY, "configured", planned)
        if changed:
            log.info("network configured interfaces=%d", len(plan.interfaces))
        return changed
