"""``wincloud import nova``: bring hosts, placements and flavors from a Nova cloud into the
store for licence accounting (docs/licensing.md#importing-from-nova)."""

from __future__ import annotations

from typing import Any

import click

from wincloud.cli._db import db_option, open_repo_from
from wincloud.cli.output import echo_json
from wincloud.errors import ConfigError


@click.group("import")
def import_() -> None:
    """Import records from other systems."""


def _connect(cloud: str | None) -> Any:
    try:
        from openstack.exceptions import ConfigException

        import openstack
    except ImportError:
        raise ConfigError(
            "openstacksdk is not installed",
            subject="wincloud import nova",
            hint="pip install 'wincloud[openstack]'",
        ) from None
    from wincloud.licensing.nova import COMPUTE_API_VERSION

    try:
        return openstack.connect(cloud=cloud, compute_api_version=COMPUTE_API_VERSION)
    except ConfigException as exc:
        raise ConfigError(
            f"cannot configure the OpenStack connection ({str(exc)[:200]})",
            subject=cloud or "OS_* environment",
            hint="name a cloud of clouds.yaml with --cloud, or set the OS_* variables",
        ) from None


@import_.command("nova")
@click.option("--cloud", default=None, help="A cloud of clouds.yaml (default: OS_* variables).")
@click.option(
    "--add-missing", is_flag=True, help="Add servers the store lacks (records without addresses)."
)
@click.option("--prune", is_flag=True, help="Remove records of servers Nova no longer lists.")
@db_option
def nova(cloud: str | None, add_missing: bool, prune: bool, db: str | None) -> None:
    """Sync from Nova (admin credentials): each server's compute host, flavor vCPUs, project
    and image os_type into its record (moves and resizes enter the history), and hypervisors
    missing from the host inventory with their CPU topology. Run it periodically."""
    from wincloud.licensing.nova import read_nova, sync

    conn = _connect(cloud)
    try:
        servers, hypervisors = read_nova(conn)
    finally:
        conn.close()
    with open_repo_from(db, create=add_missing) as repo:
        result = sync(repo, servers, hypervisors, add_missing=add_missing, prune=prune)
    echo_json(
        {
            "servers": len(servers),
            "updated": result.updated,
            "unchanged": result.unchanged,
            "added": result.added,
            "removed": result.removed,
            "not_in_store": result.not_in_store,
            "hosts_added": result.hosts_added,
            "hosts_without_topology": result.hosts_without_topology,
        }
    )
