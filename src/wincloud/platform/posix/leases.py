"""DHCP leases on Linux: which server gave each lease (the server identifier, option 54).

systemd-networkd (and NetworkManager's internal client) keep ``KEY=value`` files with
``SERVER_ADDRESS=``; dhclient (and NetworkManager with dhclient) keeps ``lease { ... }``
blocks with ``option dhcp-server-identifier A.B.C.D;``, the newest block last. Pure parsers
plus a bounded walk of the usual folders under the root."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Final

from wincloud.errors import PlatformError
from wincloud.platform.posix._root import Root

LEASE_DIRS: Final = (
    ("/run/systemd/netif/leases", "*"),
    ("/var/lib/NetworkManager", "*.lease"),
    ("/var/lib/dhcp", "*.leases"),
    ("/var/lib/dhclient", "*.lease*"),
)
MAX_FILES: Final = 64
MAX_BYTES: Final = 1024 * 1024
_DHCLIENT: Final = re.compile(rb"option\s+dhcp-server-identifier\s+([0-9.]+)\s*;")


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return None


def parse_lease(data: bytes) -> str | None:
    """The server address of one lease file (either format); None when it names none."""
    found = _DHCLIENT.findall(data)
    if found:
        return _address(found[-1].decode("ascii"))
    for line in data.splitlines():
        key, sep, value = line.partition(b"=")
        if sep and key.strip() == b"SERVER_ADDRESS":
            return _address(value.decode("ascii", "replace"))
    return None


def find_dhcp_servers(root: Root) -> list[str]:
    """Every lease's server, without repeats, newest lease file first; unreadable files and
    folders are skipped (a lease is a hint, not a requirement)."""
    dated: list[tuple[float, str, Path]] = []
    for folder, pattern in LEASE_DIRS:
        try:
            for found in sorted(root.host(folder).glob(pattern))[:MAX_FILES]:
                # Under an alternate root a lease file's link is resolved inside the root,
                # as everything else there: never a file of the host running the agent.
                path = root.contain(found)
                if path.is_file():
                    dated.append((path.stat().st_mtime, str(path), path))
        except (OSError, PlatformError):
            continue
    servers: dict[str, None] = {}
    for _, _, path in sorted(dated, reverse=True)[:MAX_FILES]:
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_BYTES)
        except OSError:
            continue
        server = parse_lease(data)
        if server is not None:
            servers[server] = None
    return list(servers)
