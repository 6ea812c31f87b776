"""User-data and static networking end to end, for real over HTTP: ``wincloud metadata serve``
on 169.254.169.254 in one network namespace, ``wincloud agent run --root <tmp>`` in another
(tests/e2e/netns.py), with the ``network``, ``cloudconfig`` and ``userdata`` plugins.

* A MIME multipart user-data (built here with the ``email`` package): a ``text/cloud-config``
  part (timezone, ntp, groups, users, a gzip+base64 file with mode 0640, runcmd), a
  ``text/x-shellscript`` part, and an ``application/x-unknown`` part that must be skipped by
  its type and never run or logged.
* Static networking from network_data.json: a phy link matched by the guest veth's real MAC
  (mirrored into ``<root>/sys/class/net``, where PosixNetwork lists adapters under --root),
  IPv4 and IPv6 static networks with routes and DNS, an MTU, a VLAN on top, and a phy link
  whose MAC no adapter has. Under --root the agent only writes systemd-networkd files in
  ``<root>/etc/systemd/network`` (no ``networkctl reload``): the live guest namespace is
  checked unchanged.
* A whole user-data gzipped, holding a shebang script.
* A second boot of the same instance applies nothing again.

The MIME and network boots run once per module; the tests that read them each check one thing.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import instance_record
from tests.e2e.agent_harness import Boot, Guest, Service
from tests.e2e.netns import GUEST_IP, METADATA_IP, NetNs, create_netns, why_not_possible

pytestmark = pytest.mark.e2e

PLUGINS = ["network", "cloudconfig", "userdata"]
ZONE = "Europe/Paris"
APP_INI = b"[app]\nmode = e2e\ngreeting = gr\xc3\xbc\xc3\x9fe\n"
APP_INI_GZ_B64 = base64.b64encode(gzip.compress(APP_INI, mtime=0)).decode()
NTP_SERVERS = "ntp1.example.org 192.0.2.123 pool.example.org"
CLOUD_CONFIG = f"""\
#cloud-config
timezone: {ZONE}
ntp:
  enabled: true
  servers: [ntp1.example.org, 192.0.2.123]
  pools: [pool.example.org]
groups:
  - wcops
  - wcaudit: [root]
users:
  - default
  - name: wcdeploy
    groups: [wcops, sudo]
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    shell: /bin/bash
write_files:
  - path: /etc/wcapp/app.ini
    encoding: gz+b64
    content: {APP_INI_GZ_B64}
    permissions: '0640'
    owner: wcdeploy:wcdeploy
runcmd:
  - echo "runcmd shell line" >> "$WINCLOUD_ROOT/tmp/runcmd"
  - [sh, -c, 'echo "runcmd argv list" >> "$WINCLOUD_ROOT/tmp/runcmd"']
"""
SCRIPT_PART = """\
#!/bin/sh
if [ -s "$WINCLOUD_ROOT/tmp/runcmd" ]; then seen=yes; else seen=no; fi
echo "script part ran runcmd-before=$seen" >> "$WINCLOUD_ROOT/tmp/script"
"""
UNKNOWN_SENTINEL = "UNKNOWN-PART-SENTINEL-5c1e"
UNKNOWN_PART = f'#!/bin/sh\ntouch "$WINCLOUD_ROOT/tmp/unknown-ran"  # {UNKNOWN_SENTINEL}\n'.encode()
# A log line a MIME part's file name could smuggle in after a line break.
FORGED = "2026-01-01 00:00:00,000 ERROR wincloud.agent.run plugin failed name=forged"
GZIP_SCRIPT = b'#!/bin/sh\necho "gzipped script ran" >> "$WINCLOUD_ROOT/tmp/gz"\n'

ABSENT_MAC = "fa:16:3e:00:0e:99"
VLAN_MAC = "fa:16:3e:00:42:42"
DNS = ["10.20.0.2", "10.20.0.53", "fd00:20::53"]


@pytest.fixture(scope="module", autouse=True)
def _namespaces_possible() -> None:
    reason = why_not_possible()
    if reason is not None:
        pytest.skip(reason)


# -- what the instance holds --------------------------------------------------------------------


def mime_user_data() -> bytes:
    """cloud-config (7bit), a shell script (base64 transfer encoding), an unknown type."""
    message = MIMEMultipart()
    message.attach(MIMEText(CLOUD_CONFIG, "cloud-config"))
    message.attach(MIMEText(SCRIPT_PART, "x-shellscript", "utf-8"))
    unknown = MIMEApplication(UNKNOWN_PART, "x-unknown")
    unknown.add_header("Content-Disposition", "attachment", filename="mystery.bin")
    message.attach(unknown)
    return message.as_bytes()


def network_data(mac: str) -> dict[str, Any]:
    """Nova's network_data.json: a phy link with ``mac``, IPv4 and IPv6 static networks, a VLAN
    on it, and a phy link no adapter has."""
    return {
        "links": [
            {"id": "eth0", "type": "phy", "ethernet_mac_address": mac, "mtu": 1450},
            {"id": "eth9", "type": "phy", "ethernet_mac_address": ABSENT_MAC},
            {
                "id": "vlan42",
                "type": "vlan",
                "vlan_link": "eth0",
                "vlan_id": 42,
                "vlan_mac_address": VLAN_MAC,
                "mtu": 1400,
            },
        ],
        "networks": [
            {
                "id": "net4",
                "type": "ipv4",
                "link": "eth0",
                "ip_address": "10.20.0.5",
                "netmask": "255.255.255.0",
                "routes": [
                    {"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.20.0.1"},
                    {
                        "network": "192.168.50.0",
                        "netmask": "255.255.255.0",
                        "gateway": "10.20.0.254",
                    },
                ],
                "services": [{"type": "dns", "address": "10.20.0.53"}],
            },
            {
                "id": "net6",
                "type": "ipv6",
                "link": "eth0",
                "ip_address": "fd00:20::5",
                "netmask": "ffff:ffff:ffff:ffff::",
                "routes": [{"network": "::", "netmask": "::", "gateway": "fd00:20::1"}],
                "services": [{"type": "dns", "address": "fd00:20::53"}],
            },
            {
                "id": "net9",
                "type": "ipv4",
                "link": "eth9",
                "ip_address": "10.99.0.5",
                "netmask": "255.255.255.0",
            },
            {
                "id": "net42",
                "type": "ipv4",
                "link": "vlan42",
                "ip_address": "192.168.42.5",
                "netmask": "255.255.255.0",
            },
        ],
        "services": [{"type": "dns", "address": "10.20.0.2"}],
    }


def record(user_data: bytes | None, network: dict[str, Any] | None = None) -> dict[str, Any]:
    data = instance_record(
        uuid=str(uuid.uuid4()),
        name="e2e-ud-01",
        hostname="e2e-ud-01",
        fixed_ips=[GUEST_IP],
        user_data=None,
        network_data=network,
    )
    data.pop("admin_pass")
    if network is None:
        data.pop("network_data")
    if user_data is not None:
        data["user_data_base64"] = base64.b64encode(user_data).decode()
    return data


# -- the two namespaces, a service and a guest ----------------------------------------------------


class UserDataGuest(Guest):
    """A guest whose agent asks the HTTP service only and runs PLUGINS; its root holds the
    zone file the timezone step looks for (``<root>/usr/share/zoneinfo/<zone>``)."""

    def __init__(self, ns: NetNs, folder: Path) -> None:
        super().__init__(ns, folder)
        zone = self.root / "usr/share/zoneinfo" / ZONE
        zone.parent.mkdir(parents=True)
        zone.write_bytes(b"TZif2 stand-in\n")
        self.config.write_text(
            'sources = ["openstack_http"]\n'
            f"plugins = {json.dumps(PLUGINS)}\n"
            "allow_reboot = false\n"
            "[retry]\nattempts = 2\nbackoff = 0.2\nmax_delay = 0.5\n"
            f'[openstack_http]\nurl = "http://{METADATA_IP}"\ntimeout = 3.0\n'
            "[userdata]\ntimeout = 20\n"
        )

    def agent_log(self) -> str:
        return self.file("/var/log/wincloud/agent.log") or ""


@dataclass
class World:
    ns: NetNs
    service: Service
    guest: UserDataGuest

    def serve(self, data: dict[str, Any]) -> str:
        instance_id = self.service.add(data)
        self.service.start()
        return instance_id


@contextlib.contextmanager
def world(folder: Path) -> Iterator[World]:
    ns = create_netns()
    try:
        server = folder / "server"
        server.mkdir(parents=True)
        service = Service(ns, f"sqlite:///{server / 'metadata.db'}", server)
        yield World(ns, service, UserDataGuest(ns, folder / "guest"))
    finally:
        ns.close()


def outcomes(boot: Boot) -> dict[str, str]:
    """``  name: outcome`` lines of ``wincloud agent run``."""
    pairs = (line.strip().split(": ", 1) for line in boot.stdout.splitlines()[1:])
    return {name: outcome for name, outcome in pairs}


def rows(guest: Guest, table: str) -> list[list[str]]:
    return [line.split(":") for line in (guest.file(f"/etc/{table}") or "").splitlines()]


# -- the MIME boot ------------------------------------------------------------------------------


@dataclass
class Booted:
    world: World
    boot: Boot
    instance_id: str


@pytest.fixture(scope="module")
def mime(_namespaces_possible: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Booted]:
    with world(tmp_path_factory.mktemp("mime")) as w:
        instance_id = w.serve(record(mime_user_data()))
        boot = w.guest.boot()
        assert boot.status == 0, boot.stdout + boot.log
        yield Booted(w, boot, instance_id)


def test_mime_boot_applies_the_cloud_config_and_runs_the_script(mime):
    assert f"status=ok source=openstack_http instance_id={mime.instance_id}" in mime.boot.stdout
    assert outcomes(mime.boot) == {"network": "skipped", "cloudconfig": "done", "userdata": "done"}


def test_write_files_decodes_gzip_base64_with_mode_and_owner(mime):
    guest = mime.world.guest
    path = guest.root / "etc/wcapp/app.ini"
    assert path.read_bytes() == APP_INI
    info = path.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640
    uid = next(row[2] for row in rows(guest, "passwd") if row[0] == "wcdeploy")
    assert info.st_uid == int(uid)


def test_runcmd_runs_shell_lines_and_argument_lists_once(mime):
    assert mime.world.guest.file("/tmp/runcmd") == "runcmd shell line\nruncmd argv list\n"


def test_shell_script_part_runs_after_the_cloud_config(mime):
    assert mime.world.guest.file("/tmp/script") == "script part ran runcmd-before=yes\n"


def test_users_and_groups_are_created_in_the_root_only(mime):
    guest = mime.world.guest
    assert any(row[0] == "wcdeploy" for row in rows(guest, "passwd"))
    assert (guest.root / "home/wcdeploy").is_dir()
    members = {row[0]: row[3].split(",") for row in rows(guest, "group")}
    assert "wcdeploy" in members["wcops"]
    assert "wcdeploy" in members["sudo"]
    assert members["wcaudit"] == ["root"]
    assert guest.file("/etc/sudoers.d/90-wincloud-wcdeploy") == "wcdeploy ALL=(ALL) NOPASSWD:ALL\n"
    assert "user keys not supported user=wcdeploy keys=shell" in mime.boot.log
    host = Path("/etc/passwd").read_text() + Path("/etc/group").read_text()
    assert "wcdeploy:" not in host and "wcops:" not in host


def test_timezone_links_localtime_in_the_root(mime):
    guest = mime.world.guest
    assert os.readlink(guest.root / "etc/localtime") == f"/usr/share/zoneinfo/{ZONE}"
    assert guest.file("/etc/timezone") == f"{ZONE}\n"


def test_ntp_servers_and_pools_go_to_a_timesyncd_drop_in_without_chrony(mime):
    guest = mime.world.guest
    assert not (guest.root / "etc/chrony").exists()  # so PosixClock picks systemd-timesyncd
    assert guest.file("/etc/systemd/timesyncd.conf.d/wincloud.conf") == (
        f"# written by wincloud\n[Time]\nNTP={NTP_SERVERS}\n"
    )


def test_unknown_part_is_skipped_by_type_never_run_or_logged(mime):
    guest, boot = mime.world.guest, mime.boot
    assert "user-data part skipped name=mystery.bin reason=application/x-unknown" in boot.log
    assert guest.file("/tmp/unknown-ran") is None
    for text in (boot.stdout, boot.log, guest.agent_log()):
        assert UNKNOWN_SENTINEL not in text
        assert "runcmd shell line" not in text  # no part's content is logged


# -- the static network boot --------------------------------------------------------------------


def guest_links(ns: NetNs) -> list[dict[str, Any]]:
    done = ns.run(ns.guest, ["ip", "-json", "addr", "show"], timeout=15)
    assert done.returncode == 0, done.stderr
    links: list[dict[str, Any]] = json.loads(done.stdout)
    return links


def live_view(ns: NetNs) -> dict[str, Any]:
    """What the agent must leave alone in the guest namespace: each link's MAC, MTU and
    addresses (link-local ones aside: the kernel adds those on its own), and the routes."""
    links = {
        link["ifname"]: (
            link.get("address"),
            link["mtu"],
            sorted(
                f"{a['local']}/{a['prefixlen']}"
                for a in link.get("addr_info", [])
                if a.get("scope") != "link"
            ),
        )
        for link in guest_links(ns)
    }
    routes = {}
    for family in ("-4", "-6"):
        done = ns.run(ns.guest, ["ip", family, "route", "show"], timeout=15)
        assert done.returncode == 0, done.stderr
        routes[family] = sorted(r for r in done.stdout.splitlines() if not r.startswith("fe80"))
    return {"links": links, "routes": routes}


def mirror_adapters(ns: NetNs, root: Path) -> str:
    """``<root>/sys/class/net/<name>/address`` for each of the guest's links but lo (the
    adapters PosixNetwork lists under --root); the guest veth's MAC."""
    macs = {str(link["ifname"]): str(link["address"]) for link in guest_links(ns)}
    for name, mac in macs.items():
        if name != "lo":
            folder = root / "sys/class/net" / name
            folder.mkdir(parents=True)
            (folder / "address").write_text(mac + "\n")
    return macs[ns.guest_link]


@dataclass
class NetworkBoot(Booted):
    mac: str
    before: dict[str, Any]
    after: dict[str, Any]

    def unit(self, name: str) -> list[tuple[str, dict[str, list[str]]]]:
        """A networkd file as its sections, in order: (name, key -> values)."""
        path = self.world.guest.root / "etc/systemd/network" / name
        sections: list[tuple[str, dict[str, list[str]]]] = []
        for line in path.read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("["):
                sections.append((line.strip("[]"), {}))
            else:
                key, _, value = line.partition("=")
                sections[-1][1].setdefault(key, []).append(value)
        return sections


@pytest.fixture(scope="module")
def network(
    _namespaces_possible: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NetworkBoot]:
    with world(tmp_path_factory.mktemp("network")) as w:
        mac = mirror_adapters(w.ns, w.guest.root)
        instance_id = w.serve(record(None, network_data(mac)))
        before = live_view(w.ns)
        boot = w.guest.boot()
        assert boot.status == 0, boot.stdout + boot.log
        yield NetworkBoot(w, boot, instance_id, mac, before, live_view(w.ns))


def test_static_network_data_is_applied(network):
    assert outcomes(network.boot)["network"] == "done"
    assert f"network configured how=static links=2 dns={','.join(DNS)} changed=True" in (
        network.boot.log
    )


def test_phy_link_matched_by_mac_gets_addresses_routes_dns_and_mtu(network):
    assert network.unit(f"10-wincloud-{network.mac.replace(':', '')}.network") == [
        ("Match", {"MACAddress": [network.mac], "Type": ["ether"]}),
        ("Link", {"MTUBytes": ["1450"]}),
        (
            "Network",
            {
                "DHCP": ["no"],
                "Address": ["10.20.0.5/24", "fd00:20::5/64"],
                "DNS": DNS,
                "VLAN": ["vlan42"],
            },
        ),
        ("Route", {"Gateway": ["10.20.0.1"]}),
        ("Route", {"Destination": ["192.168.50.0/24"], "Gateway": ["10.20.0.254"]}),
        ("Route", {"Gateway": ["fd00:20::1"]}),
    ]


def test_vlan_gets_a_netdev_and_its_own_network(network):
    assert network.unit("10-wincloud-vlan42.netdev") == [
        (
            "NetDev",
            {"Name": ["vlan42"], "Kind": ["vlan"], "MACAddress": [VLAN_MAC], "MTUBytes": ["1400"]},
        ),
        ("VLAN", {"Id": ["42"]}),
    ]
    assert network.unit("10-wincloud-vlan42.network") == [
        ("Match", {"Name": ["vlan42"]}),
        ("Network", {"DHCP": ["no"], "Address": ["192.168.42.5/24"], "DNS": DNS}),
    ]


def test_a_link_whose_mac_no_adapter_has_is_left_out(network):
    folder = network.world.guest.root / "etc/systemd/network"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"10-wincloud-{network.mac.replace(':', '')}.network",
        "10-wincloud-vlan42.netdev",
        "10-wincloud-vlan42.network",
    ]
    left_out = f"network link left out reason=no-such-adapter link={ABSENT_MAC}"
    assert left_out in network.boot.log


def test_the_live_guest_namespace_is_not_reconfigured(network):
    assert network.after == network.before
    assert "vlan42" not in network.after["links"]
    assert network.after["links"][network.world.ns.guest_link][1] != 1450
    assert "networkd reload" not in network.boot.log  # --root: no networkctl


# -- gzip, and a second boot ----------------------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    with world(tmp_path) as w:
        yield w


def test_gzipped_user_data_script_runs(fresh):
    fresh.serve(record(gzip.compress(GZIP_SCRIPT, mtime=0)))

    boot = fresh.guest.boot()

    assert boot.status == 0, boot.stdout + boot.log
    assert outcomes(boot)["userdata"] == "done"
    assert fresh.guest.file("/tmp/gz") == "gzipped script ran\n"
    assert "user-data script finished name=userdata exit=0" in boot.log


def test_a_second_boot_of_the_same_instance_applies_nothing_again(fresh):
    fresh.serve(record(mime_user_data()))
    first = fresh.guest.boot()
    assert first.status == 0, first.stdout + first.log
    edited = fresh.guest.root / "etc/wcapp/app.ini"
    edited.write_text("edited by the operator\n")  # a re-applied write_files would undo this

    second = fresh.guest.boot()

    assert second.status == 0, second.stdout + second.log
    assert outcomes(second) == dict.fromkeys(PLUGINS, "already-done")
    assert fresh.guest.file("/tmp/runcmd") == "runcmd shell line\nruncmd argv list\n"
    assert fresh.guest.file("/tmp/script") == "script part ran runcmd-before=yes\n"
    assert edited.read_text() == "edited by the operator\n"
    assert "new instance" not in second.log


# -- a part's file name is the guest owner's input ------------------------------------------


def test_a_part_filename_cannot_forge_a_log_line(fresh):
    message = MIMEMultipart()
    part = MIMEText("http://example.invalid/more\n", "x-include-url")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", f"a\n{FORGED}"))
    message.attach(part)
    fresh.serve(record(message.as_bytes()))

    boot = fresh.guest.boot()

    assert boot.status == 0, boot.stdout + boot.log
    assert "reason=text/x-include-url" in boot.log
    lines = boot.log.splitlines() + fresh.guest.agent_log().splitlines()
    assert [line for line in lines if line.startswith(FORGED)] == []
