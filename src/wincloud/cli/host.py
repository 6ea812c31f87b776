"""``wincloud host``: the compute-host inventory used by the licence report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from wincloud.cli._db import db_option, open_repo_from
from wincloud.cli.output import echo_json, render_table
from wincloud.errors import NotFound
from wincloud.store.hosts import HYPERVISORS, LICENCES, parse_host

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def host() -> None:
    """Keep the compute-host inventory (sockets, cores, cluster) for licence reports."""


def _options(*, required: bool) -> Callable[[F], F]:
    def wrap(func: F) -> F:
        for option in reversed(
            [
                click.option("--sockets", type=int, required=required, help="Processors."),
                click.option(
                    "--cores-per-socket", type=int, required=required, help="Physical cores each."
                ),
                click.option("--cluster", default=None, help="Cluster or aggregate VMs move in."),
                click.option(
                    "--hypervisor",
                    type=click.Choice(HYPERVISORS),
                    default=None,
                    help="Default hyperv.",
                ),
                click.option(
                    "--licence",
                    type=click.Choice([*LICENCES, "none"]),
                    default=None,
                    help="How the host is licensed (none: not said).",
                ),
                click.option(
                    "--licensed-vms",
                    type=int,
                    default=None,
                    help="VMs its Standard licences cover.",
                ),
            ]
        ):
            func = option(func)
        return func

    return wrap


def _given(**values: Any) -> dict[str, Any]:
    doc = {k: v for k, v in values.items() if v is not None}
    if doc.get("licence") == "none":
        doc["licence"] = None
    return doc


@host.command("add")
@click.argument("hostname")
@_options(required=True)
@db_option
def add(hostname: str, db: str | None, **values: Any) -> None:
    """Add HOSTNAME to the inventory."""
    parsed = parse_host({"hostname": hostname, **_given(**values)}, source="wincloud host add")
    with open_repo_from(db, create=True) as repo:
        repo.hosts.add(parsed)
    click.echo(f"added host {hostname} ({parsed.cores} cores)")


@host.command("update")
@click.argument("hostname")
@_options(required=False)
@db_option
def update(hostname: str, db: str | None, **values: Any) -> None:
    """Change the given fields of HOSTNAME; the others keep their values."""
    with open_repo_from(db) as repo:
        current = repo.hosts.find(hostname)
        if current is None:
            raise NotFound(
                "no such host in the inventory",
                subject=hostname,
                hint="wincloud host list shows the inventory; wincloud host add adds one",
            )
        merged = {**current.to_document(), **_given(**values)}
        repo.hosts.replace(parse_host(merged, source="wincloud host update"))
    click.echo(f"updated host {hostname}")


@host.command("rm")
@click.argument("hostname")
@db_option
def remove(hostname: str, db: str | None) -> None:
    """Remove HOSTNAME from the inventory (its VMs' history is kept)."""
    with open_repo_from(db) as repo:
        repo.hosts.remove(hostname)
    click.echo(f"removed host {hostname}")


@host.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def list_hosts(as_json: bool, db: str | None) -> None:
    """The inventory."""
    with open_repo_from(db) as repo:
        hosts = repo.hosts.list()
    if as_json:
        echo_json([h.to_document() for h in hosts])
        return
    headers = ("hostname", "sockets", "cores/socket", "cluster", "hypervisor", "licence", "vms")
    rows = [
        (
            h.hostname,
            str(h.sockets),
            str(h.cores_per_socket),
            h.cluster or "",
            h.hypervisor,
            h.licence or "",
            "" if h.licensed_vms is None else str(h.licensed_vms),
        )
        for h in hosts
    ]
    click.echo(render_table(headers, rows))
