"""Proxmox VE's cloud-init drives (qemu-server's Cloudinit.pm): configdrive2 for a Windows VM
(read by the ``configdrive`` source) and NoCloud (read by ``nocloud``), with their quirks."""

from pathlib import Path

from wincloud.agent.plugins._network_data import parse_network_data
from wincloud.agent.sources._openstack import parse_openstack
from wincloud.agent.sources.nocloud import parse_nocloud
from wincloud.agent.tree import DirTree

PROXMOX = Path(__file__).resolve().parents[3] / "fixtures/sources/proxmox"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyOne one@example"


def test_windows_configdrive2_with_empty_vendor_data_is_read():
    md = parse_openstack(DirTree(PROXMOX / "configdrive2-windows"), source="configdrive")
    assert md.instance_id == "df9d6df93b1a5e8ae0b32a839dff4f00c8ee0327"
    assert md.admin_pass is not None and md.admin_pass.reveal() == "Pve-Pass-2026!"
    assert dict(md.public_keys) == {"key-0": KEY}
    assert md.vendor_data is None  # Proxmox writes an empty vendor_data.json
    assert md.network_data is None  # its network is ENI in content/0000, not network_data.json
    assert md.hostname is None  # the name is in user_data's cloud-config (hostname plugin reads it)
    assert md.user_data is not None and b"hostname: win-pve-01" in md.user_data


def test_nocloud_with_empty_vendor_data_is_read():
    md = parse_nocloud(DirTree(PROXMOX / "nocloud"), source="nocloud")
    assert len(md.instance_id) == 40
    assert md.vendor_data is None
    plan = parse_network_data(md.network_data)  # network-config v1 becomes network_data
    (iface,) = plan.interfaces
    assert (iface.mac, iface.dhcp4, plan.dns_servers) == (
        "bc:24:11:aa:bb:cd",
        True,
        ("192.168.1.1",),
    )
    assert md.user_data is not None and b"hostname: lin-pve-02" in md.user_data
