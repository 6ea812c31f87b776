"""The new sources end to end. CloudStack: a virtual router (metadata on :80, password server
on :8080, ``sources_server.py``) in the server's network namespace, found by the agent in the
guest's namespace through its DHCP lease file, as on a real CloudStack guest network.
OpenNebula, OVF and Proxmox's configdrive2 and NoCloud drives: real ISO images (genisoimage,
as those clouds make them) found by their labels in the guest root's /dev/disk/by-label, with
the guest's network down."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.agent_harness import AGENT_SH, AGENT_TIMEOUT, Guest
from tests.e2e.netns import METADATA_IP, PYTHON, NetNs, wait_for_line, why_not_possible

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
FIXTURE = HERE.parent / "fixtures/sources/cloudstack"
PASSWORD = "Cs-Router-2026!"


@pytest.fixture(scope="module", autouse=True)
def _namespaces_possible() -> None:
    reason = why_not_possible()
    if reason is not None:
        pytest.skip(reason)


def start_router(netns: NetNs, folder: Path, mode: str = "") -> Path:
    log = folder / "router.log"
    argv = [PYTHON, str(HERE / "sources_server.py"), METADATA_IP, str(FIXTURE), PASSWORD]
    with log.open("ab") as out:
        proc = netns.spawn(netns.server, [*argv, mode] if mode else argv, log=out)
    wait_for_line(log, "listening", proc, within=30)
    return log


def boot(netns: NetNs, guest: Guest):
    done = netns.run(
        netns.guest,
        ["unshare", "--uts", "sh", "-c", AGENT_SH, PYTHON, str(guest.root), str(guest.config)],
        timeout=AGENT_TIMEOUT,
    )
    return done.returncode, done.stderr


def test_cloudstack_router_found_by_lease_configures_the_guest(netns, tmp_path):
    log = start_router(netns, tmp_path)
    guest = Guest(netns, tmp_path)
    lease = guest.root / "var/lib/dhcp/dhclient.eth0.leases"
    lease.parent.mkdir(parents=True)
    lease.write_text(
        'lease {\n  interface "eth0";\n  fixed-address 169.254.20.5;\n'
        f"  option dhcp-server-identifier {METADATA_IP};\n}}\n"
    )
    guest.config.write_text(
        'sources = ["cloudstack"]\n'
        'plugins = ["hostname", "users", "password", "ssh_keys"]\n'
        "allow_reboot = false\n"
        "[retry]\nattempts = 2\nbackoff = 0.2\nmax_delay = 0.5\n"
        "[cloudstack]\ntimeout = 3.0\n"
        '[users]\nusername = "cloudadmin"\n'
    )
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    assert guest.file("/etc/hostname") == "win-cs-01\n"
    keys = guest.file("/home/cloudadmin/.ssh/authorized_keys") or ""
    assert "FixtureKeyTwo" in keys
    assert guest.password_matches("cloudadmin", PASSWORD)
    assert "acknowledged" in log.read_text()
    assert PASSWORD not in stderr  # the password never reaches the log
    state = guest.state()
    assert state is not None and state["instance_id"] == "i-2-17-VM"


def cloudstack_guest(netns: NetNs, tmp_path: Path) -> Guest:
    guest = Guest(netns, tmp_path)
    lease = guest.root / "var/lib/dhcp/dhclient.eth0.leases"
    lease.parent.mkdir(parents=True)
    lease.write_text(f"lease {{\n  option dhcp-server-identifier {METADATA_IP};\n}}\n")
    guest.config.write_text(
        'sources = ["cloudstack"]\n'
        'plugins = ["hostname", "users", "password", "ssh_keys"]\n'
        "allow_reboot = false\n"
        "[retry]\nattempts = 2\nbackoff = 0.2\nmax_delay = 0.5\n"
        "[cloudstack]\ntimeout = 2.0\n"
        '[users]\nusername = "cloudadmin"\n'
    )
    return guest


@pytest.mark.parametrize("mode", ["silent", "huge"])
def test_a_hostile_password_server_costs_the_password_only(netns, tmp_path, mode):
    """A password server that never answers, or answers without end: the request is given
    up at its deadline or its size bound, and the router's metadata still configures the
    guest; no password is set (none was read)."""
    log = start_router(netns, tmp_path, mode)
    guest = cloudstack_guest(netns, tmp_path)
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    assert "password request send_my_password" in log.read_text()
    assert guest.file("/etc/hostname") == "win-cs-01\n"
    assert "FixtureKeyTwo" in (guest.file("/home/cloudadmin/.ssh/authorized_keys") or "")
    assert not guest.password_matches("cloudadmin", PASSWORD)
    assert "password server unavailable" in stderr


def test_a_failed_acknowledgement_leaves_the_password_with_the_router(netns, tmp_path):
    log = start_router(netns, tmp_path, "ack-error")
    guest = cloudstack_guest(netns, tmp_path)
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    assert guest.password_matches("cloudadmin", PASSWORD)  # set: the plugin is done
    assert "password request saved_password" in log.read_text()
    assert "acknowledged" not in log.read_text()
    assert "password not acknowledged" in stderr
    assert PASSWORD not in stderr


def test_no_router_behind_the_lease_is_no_metadata(netns, tmp_path):
    guest = Guest(netns, tmp_path)
    lease = guest.root / "run/systemd/netif/leases/2"
    lease.parent.mkdir(parents=True)
    lease.write_text(f"SERVER_ADDRESS={METADATA_IP}\n")
    guest.config.write_text(
        'sources = ["cloudstack"]\nplugins = ["hostname"]\nallow_reboot = false\n'
        "[retry]\nattempts = 1\n[cloudstack]\ntimeout = 1.0\n"
    )
    status, stderr = boot(netns, guest)
    assert status == 3, stderr
    assert "name=cloudstack" in stderr and "result=absent" in stderr


def make_iso(folder: Path, label: str, files: dict[str, bytes]) -> Path:
    """An ISO as OpenNebula and Proxmox make theirs (``genisoimage -J -R -V LABEL``)."""
    content = folder / f"iso-{label.replace(' ', '_')}"
    content.mkdir()
    for name, data in files.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_bytes(data)
    image = folder / f"{label.replace(' ', '_')}.iso"
    done = subprocess.run(
        ["genisoimage", "-quiet", "-J", "-R", "-V", label, "-o", str(image), str(content)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"genisoimage failed: {done.stderr.decode(errors='replace')}")
    return image


def attach(guest: Guest, image: Path, label: str) -> None:
    """The CD as udev shows it: /dev/sr0 and /dev/disk/by-label/<label, escaped>."""
    dev = guest.root / "dev"
    (dev / "disk/by-label").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(image, dev / "sr0")
    (dev / "disk/by-label" / label.replace(" ", "\\x20")).symlink_to("../../sr0")


@pytest.mark.parametrize(
    "source, label, name, fixture, hostname, password",
    [
        (
            "opennebula",
            "CONTEXT",
            "context.sh",
            "opennebula/context.sh",
            "win-one-01",
            "Nebula-Pass-2026!",
        ),
        ("ovf", "OVF ENV", "ovf-env.xml", "ovf/ovf-env.xml", "win-ovf-01", "Ovf-Pass-2026!"),
    ],
)
def test_drive_sources_with_the_network_down(
    netns, tmp_path, source, label, name, fixture, hostname, password
):
    if shutil.which("genisoimage") is None:
        pytest.skip("genisoimage is not installed")
    raw = (FIXTURE.parent / fixture).read_bytes()
    guest = Guest(netns, tmp_path)
    attach(guest, make_iso(tmp_path, label, {name: raw}), label)
    netns.set_guest_link(False)
    guest.config.write_text(
        f'sources = ["{source}", "cloudstack"]\n'
        'plugins = ["hostname", "users", "password", "ssh_keys"]\n'
        "allow_reboot = false\n"
        "[retry]\nattempts = 1\n"
    )
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    assert guest.file("/etc/hostname") == f"{hostname}\n"
    assert guest.password_matches("cloudadmin", password)  # USERNAME / username property
    assert "FixtureKeyOne" in (guest.file("/home/cloudadmin/.ssh/authorized_keys") or "")
    assert password not in stderr


PROXMOX = FIXTURE.parent / "proxmox"


def tree_files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_proxmox_configdrive2_for_windows_with_the_network_down(netns, tmp_path):
    """``citype: configdrive2``: admin_pass and key-0 in meta_data.json, an empty
    vendor_data.json (read as none, not as a broken drive), ENI network not applied."""
    if shutil.which("genisoimage") is None:
        pytest.skip("genisoimage is not installed")
    guest = Guest(netns, tmp_path)
    files = tree_files(PROXMOX / "configdrive2-windows")
    attach(guest, make_iso(tmp_path, "config-2", files), "config-2")
    netns.set_guest_link(False)
    guest.config.write_text(
        'sources = ["configdrive", "cloudstack"]\n'
        'plugins = ["users", "password", "ssh_keys"]\n'
        "allow_reboot = false\n"
        "[retry]\nattempts = 1\n"
        '[users]\nusername = "cloudadmin"\n'
    )
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    assert guest.password_matches("cloudadmin", "Pve-Pass-2026!")
    assert "FixtureKeyOne" in (guest.file("/home/cloudadmin/.ssh/authorized_keys") or "")
    assert "Pve-Pass-2026!" not in stderr
    state = guest.state()
    assert state is not None
    assert state["instance_id"] == "df9d6df93b1a5e8ae0b32a839dff4f00c8ee0327"


def test_proxmox_nocloud_drive_with_the_network_down(netns, tmp_path):
    """``citype: nocloud``, label ``cidata``: meta-data's instance id, an empty vendor-data
    (read as none), and the user-data's cloud-config (its host name; its cloud-init default
    user keys ``user``/``password``/``ssh_authorized_keys`` are not applied: docs/sources.md)."""
    if shutil.which("genisoimage") is None:
        pytest.skip("genisoimage is not installed")
    guest = Guest(netns, tmp_path)
    attach(guest, make_iso(tmp_path, "cidata", tree_files(PROXMOX / "nocloud")), "cidata")
    netns.set_guest_link(False)
    guest.config.write_text(
        'sources = ["nocloud", "cloudstack"]\n'
        'plugins = ["cloudconfig"]\n'
        "allow_reboot = false\n"
        "[retry]\nattempts = 1\n"
    )
    status, stderr = boot(netns, guest)
    assert status == 0, stderr
    state = guest.state()
    assert state is not None
    assert state["instance_id"] == "e7597e4a9af70f9bb37e9a61ba7caa0846fbc708"
    assert "source selected name=nocloud" in stderr
    assert guest.file("/etc/hostname") == "lin-pve-02\n"  # the user-data's cloud-config
    assert "Pve-Pass-2026!" not in stderr
