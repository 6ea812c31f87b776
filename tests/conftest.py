"""Shared fixtures: instance factory and store URLs (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wincloud.model import Instance, parse_instance

RSA_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7+5Y1tE0oZg7m0k3Jtq5b5fU0wq1cQ4uK2Ky0gY8cC6b3j9"
    "Q2d2Y3i9eJtE2rF3dqq0q2KX0q6mP5bJ1wq3eJdY6h1rC3K8wq2Z2v5V2s4b6z9mY3eR0p0kqZ0kQ5J7c9hXb"
    "f0o3uK8rQ2d5H0z6a1yV7bW2b9t3m3b2K1o4W1eT4X3m0Jr5M2xT0pM0yR4Ud0V5P8N9nL0o2Q4kE6V6a8Q2"
    "Qy5b0k3Y9o5P5Kj6iL8C2x0xR3r8m9S0a3M8Y7n5m1vD3Y2c1G4o0Ff4Fh6a8c6fK7h0zQ3D7k0pX9qJ6n8bN"
    "4e8k2C7R9r0b2m5v3d1wB8H9hY0gZ4s5rQ4y6X7oT1fS6a2T3uD7t9W1 demo@wincloud"
)
ED25519_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1t2qvW3Y5kz6i1oQ1Z5Zq3l3c0y1X2Z6f8D4dR0xYh ed@wc"
)


def instance_record(**overrides: Any) -> dict[str, Any]:
    """A valid instance record as a user would write it; keywords replace fields."""
    ident = uuid.uuid4()
    # network_data addresses identify instances too, so each record gets its own.
    net_ip = f"10.{ident.bytes[0]}.{ident.bytes[1]}.{ident.bytes[2] % 250 + 3}"
    record: dict[str, Any] = {
        "uuid": str(ident),
        "name": "win-web-01",
        "hostname": "win-web-01",
        "project_id": "6f4c1e",
        "availability_zone": "az1",
        "launch_index": 0,
        "fixed_ips": ["10.0.0.5", "fd00::5"],
        "macs": ["fa:16:3e:00:00:05"],
        "public_ipv4": "203.0.113.5",
        "public_keys": {"mykey": RSA_KEY},
        "meta": {"windows_product_key": "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", "role": "web"},
        "user_data": "#ps1\nWrite-Host hello\n",
        "network_data": {
            "links": [
                {
                    "id": "eth0",
                    "type": "phy",
                    "ethernet_mac_address": "fa:16:3e:00:00:05",
                    "mtu": 1450,
                }
            ],
            "networks": [
                {
                    "id": "net0",
                    "type": "ipv4",
                    "link": "eth0",
                    "ip_address": net_ip,
                    "netmask": "255.255.255.0",
                    "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"}],
                }
            ],
            "services": [{"type": "dns", "address": "10.0.0.2"}],
        },
        "vendor_data": {"greeting": "hello"},
        "admin_pass": "S3cret-Admin!",
        "instance_type": "m1.medium",
        "image_id": "a3b1c6e0-0f43-4b1e-8d6c-9f1e2d3c4b5a",
        "created_at": "2026-11-25T10:00:00Z",
        "files": [{"path": "/etc/motd", "content": "hello from wincloud\n"}],
    }
    record.update(overrides)
    return record


@pytest.fixture
def make_instance() -> Callable[..., Instance]:
    def factory(**overrides: Any) -> Instance:
        return parse_instance(instance_record(**overrides))

    return factory


@pytest.fixture
def instance(make_instance: Callable[..., Instance]) -> Instance:
    return make_instance()


PG_URL = os.environ.get("WINCLOUD_TEST_PG_URL")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A store URL with an empty database: a SQLite file, or (when WINCLOUD_TEST_PG_URL is
    set, as .ci/run does) a fresh schema-less PostgreSQL database emptied after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wincloud.db'}"
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("WINCLOUD_TEST_PG_URL is not set in CI: .ci/run must start PostgreSQL")
        pytest.skip("PostgreSQL not configured: set WINCLOUD_TEST_PG_URL (see .ci/postgres.sh)")
    from tests.pg import fresh_database

    with fresh_database(PG_URL) as url:
        yield url


@pytest.fixture
def repo(db_url: str) -> Iterator[Any]:
    """An opened (migrated) store on ``db_url``, closed after the test."""
    from wincloud.store import open_repo

    with open_repo(db_url, create=True) as opened:
        yield opened
