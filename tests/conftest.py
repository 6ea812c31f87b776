"""Shared fixtures: instance factory and store URLs (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import contextlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest

from wincloud.model import Instance, parse_instance

_net_hosts = itertools.count()

# Property tests judge results, never time: a loaded CI machine must not turn a slow example
# into a failure (tests that time things belong in bench/).
hypothesis.settings.register_profile("wincloud", deadline=None)
hypothesis.settings.load_profile("wincloud")

# Real public keys (generated once with the `cryptography` package; the private halves were
# thrown away): the model parses keys down to the numbers inside, so test keys must be real.
RSA_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDXSeRpE0ZPCjIyQUsLTez/Ftmb6a+qSZjYuMEusYZKkw4kaM1LizYa"
    "Be74FH7HfW5h+3Msy7/3RAztDjQZ/CWD2yKTV/Laokg8uECdaipn011nsOrjGTe3PENUOg94rdd9ei5TSFJ2PTuVAlc/"
    "T314NPtsKEHiIgmOLcWAYJwhNh01wfNmjyku3canZwvYHFWilyIXxAWr28/9KBSJGFztEuJz3OdW+3quR0p7TD56LoCN"
    "73guOcl6UYBT0vKpZ92yqefDr1pvtePRwq4IMGV5OVYVoZ0bSYxM7qhRV2IIiM3rzWOHSrOo9ZqoJbXCx+Oui4VMyPTN"
    "WxLqytVGJtJX demo@wincloud"
)
RSA_KEY_3072 = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC3C/7BuhTiUlNm/d/WwCXQKvSCe1uxM6eallHaDqT9KM57F8vgDQn5"
    "QPERAg/LmNvyutIF02PsMAGRXWr5YQA+oOfru/ciRLuZmozojSLwaWVAPl+9VCqgJeKGUJv+eoIVxEaOOYU3JznuNrvB"
    "Ol1zhPmE0ZhoN76ooazNOjh+znL4MFDbQRitu0+/Ui/skPHabOnx4GOht00bEXsVcyzpOQoN0S5L6eVDUIgOyVRi5hxa"
    "ov71eZBMXmJQt3hnwJJT/dCaIpbCU7blAJkvyjvagSe4HFEpRL10T8oXvRKnCuMihPIgIGNXv+Vh9R+rH6/li3ITj3Km"
    "5yGJFV4wpzJ1uoIVfjs3r6GfLcn3QbuCaq2jnKtsP9b17o2jaw85GP7ZUKEepUwyBvpmJQWLl3ax6Bmr5PPPxKiLaH2z"
    "gEWwwcwbjoJdoRydyYm9XM/xKKSCe5TdlkvJ0Ffp5eVDXzugLuByNe4387RUIXgJo6q2YcG5o8dsRzNvVF+Yc6FSEKE="
    " ops@wincloud"
)
ED25519_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICS4YU+hvl+dJSA+XzWgBSKLwquLjvQbIXtUJ4wsyXrd ed@wc"
)


def instance_record(**overrides: Any) -> dict[str, Any]:
    """A valid instance record as a user would write it; keywords replace fields."""
    ident = uuid.uuid4()
    # network_data addresses identify instances too, so each record gets its own: drawn from a
    # session-wide counter in 10.128.0.0/9, which no other test helper hands out (random ones
    # collided now and then with each other and with the store factory's 10.1.x.y).
    n = next(_net_hosts)
    net_ip = f"10.{128 + (n // 62500) % 128}.{(n // 250) % 250}.{n % 250 + 3}"
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


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """The process umask set to ``mask`` for the block."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def ctrl_c_at_fsync(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to make Ctrl-C arrive at the next flush to disk: the middle of an atomic
    write (armed by the test, after it has written the file it expects to keep)."""

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    return lambda: monkeypatch.setattr(os, "fsync", interrupted)


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
