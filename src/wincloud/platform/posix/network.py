"""PosixNetwork: adapters from <root>/sys/class/net; plans become systemd-networkd files
(/etc/systemd/network/10-wincloud-<mac>.network), one per adapter, matched by MAC."""

from __future__ import annotations

import ipaddress
from typing import Final

from wincloud.platform.base import Adapter, InterfacePlan, NetworkPlan
from wincloud.platform.posix._root import Root, os_error
from wincloud.platform.validate import check_plan

NETWORKD_DIR: Final = "/etc/systemd/network"
PREFIX: Final = "10-wincloud-"


def render_networkd(iface: InterfacePlan, plan: NetworkPlan) -> str:
    dhcp = {(True, True): "yes", (True, False): "ipv4", (False, True): "ipv6"}
    lines = ["# written by wincloud", "[Match]", f"MACAddress={iface.mac}", ""]
    if iface.mtu is not None:
        lines += ["[Link]", f"MTUBytes={iface.mtu}", ""]
    lines += ["[Network]", f"DHCP={dhcp.get((iface.dhcp4, iface.dhcp6), 'no')}"]
    lines += [f"Address={address}" for address in iface.addresses]
    lines += [f"DNS={server}" for server in plan.dns_servers]
    if plan.dns_search:
        lines.append("Domains=" + " ".join(plan.dns_search))
    for route in iface.routes:
        network = ipaddress.ip_network(route.destination, strict=False)
        lines += ["", "[Route]"]
        if network.prefixlen:
            lines.append(f"Destination={network}")
        lines.append(f"Gateway={route.gateway}")
    return "\n".join(lines) + "\n"


class PosixNetwork:
    def __init__(self, root: Root) -> None:
        self.root = root

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

    def apply(self, plan: NetworkPlan) -> bool:
        check_plan(plan)
        folder = self.root.host(NETWORKD_DIR)
        wanted = {
            f"{PREFIX}{iface.mac.replace(':', '')}.network": render_networkd(iface, plan).encode()
            for iface in plan.interfaces
        }
        changed = False
        existing = sorted(folder.glob(f"{PREFIX}*.network")) if folder.is_dir() else []
        for stale in existing:
            if stale.name not in wanted:
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
        return changed
