"""``wincloud metadata serve|demo``: run the Nova-compatible metadata service."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import click

from wincloud.cli._db import db_option, open_repo_from

log = logging.getLogger(__name__)


@click.group()
def metadata() -> None:
    """Run the Nova-compatible metadata service (OpenStack + EC2 trees, IMDSv2, password)."""


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _announce(addresses: list[tuple[str, int]], admin: bool) -> None:
    click.echo(f"metadata service listening on {_url(*addresses[0])}", err=True)
    if admin and len(addresses) > 1:
        click.echo(f"admin API listening on {_url(*addresses[1])}", err=True)


@metadata.command()
@db_option
@click.option("--listen", default=None, help="HOST:PORT for metadata (default 127.0.0.1:8775).")
@click.option("--admin-listen", default=None, help="HOST:PORT for /healthz, /metrics, /v1.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="TOML file with a [metadata] table (docs/metadata-service.md).",
)
@click.option("--token-mode", type=click.Choice(["optional", "required"]), default=None)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes sharing the port (SO_REUSEPORT); default 1.",
)
@click.option(
    "--access-log",
    default=None,
    metavar="stderr|off|FILE",
    help="Where the per-request log goes (default stderr).",
)
@click.option(
    "--create",
    is_flag=True,
    help="Create the SQLite database when it does not exist (otherwise that is an error).",
)
@click.option("--log-level", default="info", type=click.Choice(["debug", "info", "warning"]))
def serve(
    db: str | None,
    listen: str | None,
    admin_listen: str | None,
    config_path: Path | None,
    token_mode: str | None,
    workers: int | None,
    access_log: str | None,
    create: bool,
    log_level: str,
) -> None:
    """Serve instance metadata until interrupted."""
    from wincloud.server.run import Service
    from wincloud.server.settings import load_settings

    logging.getLogger("wincloud").setLevel(log_level.upper())
    settings = load_settings(
        config_path,
        listen=listen,
        admin_listen=admin_listen,
        token_mode=token_mode,
        workers=workers,
        access_log=access_log,
    )
    repo = open_repo_from(db, create=create)
    try:
        service = Service(repo, settings, repo_factory=lambda: open_repo_from(db))
        service.run(lambda addrs: _announce(addrs, settings.admin_listen is not None))
    finally:
        repo.close()


def _demo_instance(key_path: Path) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return {
        "uuid": "6b1f7c3e-2d4a-4e5b-9c8d-0a1b2c3d4e5f",
        "name": "win-demo-01",
        "hostname": "win-demo-01",
        "project_id": "demo",
        "availability_zone": "nova",
        "fixed_ips": ["127.0.0.1", "::1"],
        "macs": ["fa:16:3e:12:34:56"],
        "public_keys": {"demo-key": public.decode() + " demo@wincloud"},
        "meta": {"os_type": "windows", "windows_product_key": "DEMO0-KEY00-NOT00-REAL0-KEY00"},
        "user_data": "#ps1_sysnative\nWrite-Output 'hello from wincloud user-data'\n",
        "instance_type": "m1.medium",
        "image_id": "windows-server-2022-sysprep",
        "network_data": {
            "links": [
                {
                    "id": "tap0",
                    "type": "phy",
                    "ethernet_mac_address": "fa:16:3e:12:34:56",
                    "mtu": 1500,
                }
            ],
            "networks": [{"id": "net0", "type": "ipv4_dhcp", "link": "tap0"}],
            "services": [{"type": "dns", "address": "1.1.1.1"}],
        },
        "vendor_data": {"wincloud": {"demo": True}},
    }


@metadata.command()
@click.option("--listen", default="127.0.0.1:8775", show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the demo database and key live (default: the user data directory).",
)
def demo(listen: str, data_dir: Path | None) -> None:
    """Serve one sample Windows instance (mapped to 127.0.0.1) from an embedded SQLite file."""
    import platformdirs

    from wincloud.model import parse_instance
    from wincloud.server.run import Service
    from wincloud.server.settings import Listen, load_settings, parse_listen

    where = parse_listen(listen, what="--listen")  # before anything is created
    # The admin listener on the next port; on a random one when there is no next port.
    admin_port = where.port + 1 if 0 < where.port < 65535 else 0
    logging.getLogger("wincloud").setLevel(logging.INFO)
    folder = data_dir or Path(platformdirs.user_data_dir("wincloud")) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'demo.db'}"
    repo = open_repo_from(db, create=True)
    key_path = folder / "demo-key"
    if not repo.list():
        repo.add(parse_instance(_demo_instance(key_path), source="demo instance"))
        click.echo(f"created demo database {folder / 'demo.db'}", err=True)
    admin_token = secrets.token_hex(16)
    settings = load_settings(
        None,
        listen=where,
        admin_listen=Listen(where.host, admin_port),
        admin_token=admin_token,
    )

    def ready(addresses: list[tuple[str, int]]) -> None:
        base, admin = _url(*addresses[0]).rstrip("/"), _url(*addresses[1]).rstrip("/")
        click.echo(
            "\nTry (the demo instance is whoever calls from 127.0.0.1):\n"
            f"  curl {base}/openstack\n"
            f"  curl {base}/openstack/latest/meta_data.json\n"
            f"  curl {base}/openstack/latest/user_data\n"
            f"  curl {base}/latest/meta-data/\n"
            f"  curl {base}/latest/meta-data/public-keys/0/openssh-key\n"
            f"  TOKEN=$(curl -sX PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "
            f"{base}/latest/api/token)\n"
            f'  curl -H "X-aws-ec2-metadata-token: $TOKEN" {base}/latest/meta-data/instance-id\n'
            f"  curl -X POST --data 'c2VjcmV0' {base}/openstack/2013-04-04/password\n"
            f"  curl {admin}/healthz ; curl {admin}/metrics\n"
            f"  curl -H 'Authorization: Bearer {admin_token}' {admin}/v1/instances\n"
            f"The demo key pair's private half is {key_path}.\n"
            "Ctrl-C stops the service.\n",
            err=True,
        )
        _announce(addresses, True)

    try:
        Service(repo, settings).run(ready)
    finally:
        repo.close()
