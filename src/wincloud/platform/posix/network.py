"""PosixNetwork: adapters from <root>/sys/class/net; plans become systemd-networkd files under
/etc/systemd/network, all named ``10-wincloud-*``:

* a physical link: ``10-wincloud-<mac>.network`` matched by MAC address (and ``Type=ether``,
  so the bonds and VLANs that carry the same MAC do not match it); a bond member gets
  ``Bond=``, a VLAN parent one ``VLAN=`` line per VLAN;
* a bond or a VLAN: ``10-wincloud-<name>.netdev`` (the device) and ``.network`` (its
  addresses), matched by name.

Files of ours that the plan no longer has are removed. On a live system ``networkctl reload``
follows a change (best effort: a failure is logged; the files apply at the next boot)."""

from __future__ import annotations

import ipaddress
import logging
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.base import Adapter, InterfacePlan, NetworkPlan, Processes
from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.posix.leases import find_dhcp_servers
from wincloud.platform.validate import check_plan

log = logging.getLogger(__name__)

NETWORKD_DIR: Final = "/etc/systemd/network"
PREFIX: Final = "10-wincloud-"
_DHCP: Final = {(True, True): "yes", (True, False): "ipv4", (False, True): "ipv6"}


def _network_section(iface: InterfacePlan, plan: NetworkPlan) -> list[str]:
    bond = next((b.name for b in plan.interfaces if iface.mac in b.members), None)
    lines = ["[Network]"]
    if bond is not None and iface.kind == "physical":
        return [*lines, f"Bond={bond}"]
    lines.append(f"DHCP={_DHCP.get((iface.dhcp4, iface.dhcp6), 'no')}")
    if iface.ipv6_autoconf:
        lines.append("IPv6AcceptRA=yes")
    lines += [f"Address={address}" for address in iface.addresses]
    if iface.addresses or iface.dhcp4 or iface.dhcp6:
        lines += [f"DNS={server}" for server in plan.dns_servers]
        if plan.dns_search:
            lines.append("Domains=" + " ".join(plan.dns_search))
    lines += [f"VLAN={v.name}" for v in plan.interfaces if v.kind == "vlan" and v.link == iface.key]
    for route in iface.routes:
        network = ipaddress.ip_network(route.destination, strict=False)
        lines += ["", "[Route]"]
        if network.prefixlen:
            lines.append(f"Destination={network}")
        lines.append(f"Gateway={route.gateway}")
    return lines


def render_networkd(iface: InterfacePlan, plan: NetworkPlan) -> str:
    """The ``.network`` file of one planned link."""
    lines = ["# written by wincloud", "[Match]"]
    if iface.kind == "physical":
        lines += [f"MACAddress={iface.mac}", "Type=ether"]
    else:
        lines.append(f"Name={iface.name}")
    lines.append("")
    if iface.mtu is not None and iface.kind == "physical":
        lines += ["[Link]", f"MTUBytes={iface.mtu}", ""]
    lines += _network_section(iface, plan)
    return "\n".join(lines) + "\n"


def render_netdev(iface: InterfacePlan) -> str:
    """The ``.netdev`` file that creates a planned bond or VLAN."""
    lines = ["# written by wincloud", "[NetDev]", f"Name={iface.name}", f"Kind={iface.kind}"]
    if iface.mac:
        lines.append(f"MACAddress={iface.mac}")
    if iface.mtu is not None:
        lines.append(f"MTUBytes={iface.mtu}")
    if iface.kind == "vlan":
        lines += ["", "[VLAN]", f"Id={iface.vlan_id}"]
    else:
        lines += ["", "[Bond]", f"Mode={iface.bond_mode or 'balance-rr'}"]
        if iface.bond_miimon is not None:
            lines.append(f"MIIMonitorSec={iface.bond_miimon}ms")
        if iface.bond_hash_policy:
            lines.append(f"TransmitHashPolicy={iface.bond_hash_policy}")
    return "\n".join(lines) + "\n"


def render_files(plan: NetworkPlan) -> dict[str, bytes]:
    """File name -> content for a whole plan."""
    out: dict[str, bytes] = {}
    for iface in plan.interfaces:
        stem = PREFIX + (iface.mac.replace(":", "") if iface.kind == "physical" else iface.name)
        out[f"{stem}.network"] = render_networkd(iface, plan).encode()
        if iface.kind != "physical":
            out[f"{stem}.netdev"] = render_netdev(iface).encode()
    return out


class PosixNetwork:
    def __init__(self, root: Root, processes: Processes | None = None) -> None:
        self.root = root
        self.processes = processes

    def adapters(self) -> list[Adapter]:
        folder = self.root.host("/sys/class/net")
        try:
            names = sorted(p.name for p in folder.iterdir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise os_error("list", exc, "/sys/class/net") from None
        out = []
        for name in names:
            if name == "lo":
                continue
            address = folder / name / "address"
            mac = address.read_text().strip().lower() if address.exists() else None
            out.append(Adapter(name, mac or None))
        return out

    def dhcp_servers(self) -> list[str]:
        return find_dhcp_servers(self.root)

    def apply(self, plan: NetworkPlan) -> bool:
        check_plan(plan)
        folder = self.root.host(NETWORKD_DIR)
        wanted = render_files(plan)
        changed = False
        existing = sorted(folder.glob(f"{PREFIX}*.net*")) if folder.is_dir() else []
        for stale in existing:
            if stale.name not in wanted and stale.suffix in (".network", ".netdev"):
                try:
                    stale.unlink()
                except OSError as exc:
                    raise os_error("remove", exc, self.root.guest(stale)) from None
                changed = True
        for name, data in wanted.items():
            path = folder / name
            if path.exists() and path.read_bytes() == data:
                continue
            self.root.write_atomic(path, data)
            changed = True
        if changed and self.root.is_live and self.processes is not None:
            self._reload()
        return changed

    def _reload(self) -> None:
        assert self.processes is not None
        try:
            done = self.processes.run(["networkctl", "reload"], timeout=30)
        except PlatformError as exc:
            log.warning("networkd reload failed error=%s", exc)
            return
        if done.exit_code != 0:
            log.warning("networkd reload failed exit=%d", done.exit_code)
