"""``wincloud password decrypt``: open a generated password the agent posted, with the
instance key pair's private key (what ``nova get-password`` does)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wincloud.errors import ConfigError, NotFound

PASSPHRASE_ENV = "WINCLOUD_KEY_PASSPHRASE"  # noqa: S105 - a variable name


@click.group()
def password() -> None:
    """Passwords the guest agent generated and posted, sealed with the instance's key."""


def _fetch(url: str) -> bytes:
    from wincloud.agent.http import create_client, get

    with create_client() as client:
        body = get(client, url, timeout=10.0)
    if body is None:
        raise NotFound("no password endpoint at this URL", subject=url)
    return body


def _from_store(db_url: str | None, instance_id: str) -> bytes:
    from wincloud.cli._db import open_repo_from

    with open_repo_from(db_url) as repo:
        stored = repo.get(instance_id)
        if stored is None:
            raise NotFound("no such instance", subject=instance_id)
        # The instance may be given by name: the password is kept under its uuid.
        return repo.get_password(stored.instance.uuid) or b""


@password.command("decrypt")
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The key pair's private key (PEM or OpenSSH format).",
)
@click.option(
    "--from",
    "from_url",
    metavar="URL",
    help="GET the sealed password from this URL (e.g. "
    "http://169.254.169.254/openstack/latest/password from inside the instance).",
)
@click.option("--db", "db_url", metavar="URL", help="Read it from the instance store at URL.")
@click.argument("instance_id", required=False)
def decrypt(
    key_path: Path, from_url: str | None, db_url: str | None, instance_id: str | None
) -> None:
    """Print the password. The sealed text comes from --from URL, from --db URL ID, or from
    standard input. An encrypted key's passphrase comes from $WINCLOUD_KEY_PASSPHRASE or a
    prompt."""
    from wincloud.agent.sealing import is_encrypted_key, open_password

    if from_url and (db_url or instance_id):
        raise click.UsageError("give --from URL or --db URL ID, not both")
    if db_url and not instance_id:
        raise click.UsageError("--db needs the instance ID")
    if instance_id and not db_url:
        raise click.UsageError("an instance ID goes with --db URL")
    try:
        key = key_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the key ({exc.strerror})", subject=str(key_path)) from None
    if from_url:
        sealed = _fetch(from_url)
    elif db_url and instance_id:
        sealed = _from_store(db_url, instance_id)
    else:
        sealed = sys.stdin.buffer.read()
    passphrase = None
    if is_encrypted_key(key):
        text = os.environ.get(PASSPHRASE_ENV) or click.prompt(
            "Key passphrase", hide_input=True, err=True
        )
        passphrase = text.encode()
    click.echo(open_password(sealed.strip(), key, passphrase=passphrase).reveal())
