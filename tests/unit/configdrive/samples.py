"""Sample drive contents shared by the unit and interop tests: hand-made maps and Nova's tree."""

from __future__ import annotations

import json
from pathlib import Path

NOVA = Path(__file__).resolve().parents[2] / "fixtures" / "nova-34"  # Nova 34.0.0's own drive
ADMIN_PASS = "Adm1n-S3cret-value"


def load_tree(root: Path) -> dict[str, bytes]:
    """The drive part (openstack/, ec2/) of a directory as a file map."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for top in ("openstack", "ec2")
        for path in sorted((root / top).rglob("*"))
        if path.is_file()
    }


def small_drive(uuid: str = "8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012") -> dict[str, bytes]:
    meta = {
        "uuid": uuid,
        "hostname": "win-01",
        "admin_pass": ADMIN_PASS,
        "public_keys": {"k": "ssh-ed25519 AAAA k@h"},
        "files": [{"path": "/etc/motd", "content_path": "/content/0000"}],
    }
    return {
        "openstack/latest/meta_data.json": json.dumps(meta).encode(),
        "openstack/latest/user_data": b"#ps1\nWrite-Host hi\n",
        "openstack/latest/vendor_data2.json": b"{}",
        "openstack/content/0000": b"hello\n",
        "ec2/latest/meta-data.json": b'{"instance-id": "i-8e5f7b9c"}',
        "ec2/latest/user-data": b"#ps1\nWrite-Host hi\n",
    }
