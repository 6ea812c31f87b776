"""``wincloud password decrypt``: open a generated password the agent posted, with the
instance key pair's private key (what ``nova get-password`` does)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from wincloud.errors import ConfigError, NotFound

PASSPHRASE_ENV = "WINCLOUD_KEY_PASSPHRASE"  # noqa: S105 - a variable name


def _has_terminal() -> bool:
    """A terminal to ask on: the controlling terminal (/dev/tty, as ssh asks, so the sealed
    text may still come on standard input); on Windows, a console on standard input."""
    if sys.platform == "win32":
        return sys.stdin.isatty()
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _passphrase(key_path: Path) -> bytes:
    """From $WINCLOUD_KEY_PASSPHRASE, else asked on the terminal; none: a ConfigError."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given.encode()
    if not _has_terminal():
        raise ConfigError(
            f"the key needs a passphrase and there is no terminal to ask on (set {PASSPHRASE_ENV})",
            subject=str(key_path),
        )
    import getpass

    try:
        return getpass.getpass(f"Passphrase for {key_path}: ").encode()
    except (EOFError, KeyboardInterrupt):
        raise ConfigError("no passphrase given", subject=str(key_path)) from None


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
        sealed = repo.get_password(stored.instance.uuid)
    if not sealed:
        raise NotFound(
            "the guest has not posted a password yet",
            subject=f"{stored.instance.uuid} ({stored.instance.name})",
            hint="its agent posts one at first boot; `wincloud instance list` shows "
            "PASSWORD yes once it has",
        )
    return sealed


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
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Read it from the instance store at URL (with an ID; default: $WINCLOUD_DB, else "
    "the default store).",
)
@click.argument("instance_id", required=False)
def decrypt(
    key_path: Path, from_url: str | None, db_url: str | None, instance_id: str | None
) -> None:
    """Print the password. The sealed text comes from --from URL, from --db URL ID, or from
    standard input. A passphrase-protected key's passphrase comes from
    $WINCLOUD_KEY_PASSPHRASE, or is asked for on the terminal (never read from a pipe)."""
    from wincloud.agent.sealing import is_encrypted_key, open_password

    if from_url and (db_url or instance_id):
        raise click.UsageError("give --from URL or --db URL ID, not both")
    if db_url and not instance_id:
        raise click.UsageError("--db needs the instance ID")
    if instance_id and not db_url:
        # Like every store command: --db, else $WINCLOUD_DB, else the default store. Only
        # with an ID: without one the sealed text comes from standard input, even when
        # WINCLOUD_DB is exported.
        db_url = os.environ.get("WINCLOUD_DB") or None
    try:
        key = key_path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the key ({exc.strerror})", subject=str(key_path)) from None
    passphrase = _passphrase(key_path) if is_encrypted_key(key) else None
    if from_url:
        sealed = _fetch(from_url)
    elif instance_id:
        sealed = _from_store(db_url, instance_id)
    else:
        sealed = sys.stdin.buffer.read()
    try:
        opened = open_password(sealed.strip(), key, passphrase=passphrase)
    except ConfigError as exc:
        if exc.subject != "--key":
            raise
        if passphrase is not None and "wrong passphrase" in exc.message:
            raise ConfigError("wrong passphrase for the key", subject=str(key_path)) from None
        raise ConfigError(exc.message, subject=str(key_path), hint=exc.hint) from None
    click.echo(opened.reveal())
