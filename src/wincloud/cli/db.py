"""``wincloud db init|upgrade|status``: create, migrate and inspect the instance store.

Every other command opens the store as it is (migrating an older schema on the way); only
``db init`` (and ``instance add``, ``metadata serve --create``) create a SQLite file.
"""

from __future__ import annotations

from dataclasses import asdict

import click

from wincloud.cli._db import db_option


def _url(db: str | None) -> str:
    from wincloud.store import default_db_url

    return db or default_db_url()


def _revs(revisions: tuple[str, ...]) -> str:
    return ", ".join(revisions) or "none"


@click.group()
def db() -> None:
    """Create, upgrade and inspect the instance store (--db URL or $WINCLOUD_DB)."""


@db.command("init")
@db_option
def init_command(db: str | None) -> None:
    """Create the store (a SQLite file and its directory, or the schema in an empty
    PostgreSQL database). Safe to repeat: an existing store is only brought up to date."""
    from wincloud.store.status import upgrade_store

    done = upgrade_store(_url(db), create=True)
    if not done.before:
        click.echo(f"created the store {done.url} (schema {_revs(done.after)})")
    elif done.changed:
        click.echo(f"upgraded {done.url} from {_revs(done.before)} to {_revs(done.after)}")
    else:
        click.echo(f"{done.url} is ready (schema {_revs(done.after)})")


@db.command("upgrade")
@db_option
def upgrade_command(db: str | None) -> None:
    """Migrate an existing store to this wincloud's schema (never creates a SQLite file)."""
    from wincloud.store.status import upgrade_store

    done = upgrade_store(_url(db), create=False)
    if done.changed:
        click.echo(f"upgraded {done.url} from {_revs(done.before)} to {_revs(done.after)}")
    else:
        click.echo(f"{done.url} is already current (schema {_revs(done.after)})")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@db_option
def status_command(as_json: bool, db: str | None) -> None:
    """Show the store's schema, record counts and health; exit status 1 unless the schema is
    current and the store healthy. Changes nothing."""
    from wincloud.store.status import ADVICE, store_status

    found = store_status(_url(db))
    healthy = found.state == "current" and found.health is None
    if as_json:
        from wincloud.cli.output import echo_json

        echo_json({**asdict(found), "state": found.state, "ok": healthy})
    else:
        rows = [
            ("store", found.url),
            ("backend", found.backend),
            ("schema", f"{_revs(found.revisions)} ({ADVICE[found.state]})"),
            ("instances", "-" if found.instances is None else str(found.instances)),
            ("passwords", "-" if found.passwords is None else str(found.passwords)),
            ("health", found.health or "ok"),
        ]
        for name, value in rows:
            click.echo(f"{name + ':':<11}{value}")
    if not healthy:
        click.get_current_context().exit(1)
