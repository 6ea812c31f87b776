"""``wincloud instance``: add, list, show, update and remove instance records in the store.

ID is an instance's uuid, or its name when no other instance has that name.
"""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path
from typing import Any, Final

import click

from wincloud.cli._db import db_option, open_repo_from
from wincloud.cli.output import echo_json, render_table
from wincloud.errors import ConfigError, NotFound
from wincloud.model import Instance, parse_document_text, parse_instance, read_instance_text
from wincloud.store import StoredInstance, address_key, canonical_uuid

MASK: Final = "***"
# meta keys whose values are secrets too (cloudbase-init reads admin_pass from meta; product
# keys are licences): masked by `show` unless --reveal, like admin_pass.
_SECRET_META_MARKERS: Final = ("password", "admin_pass", "product_key", "secret", "token")


def _is_secret_meta(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in _SECRET_META_MARKERS)


@click.group()
def instance() -> None:
    """Manage instance records in the store (ID: a uuid, or a name no other instance has)."""


# -- reading records ---------------------------------------------------------------------


def _read_document(file: str) -> tuple[Any, str]:
    """The data in FILE (``-``: standard input) and the name to report it by."""
    if file == "-":
        return parse_document_text(sys.stdin.read(), source="<stdin>"), "<stdin>"
    text = read_instance_text(
        Path(file), hint="give a readable UTF-8 YAML or JSON file, or - for standard input"
    )
    return parse_document_text(text, source=file), file


def _reject_masked(data: Any, source: str) -> None:
    """A record copied from `show` without --reveal carries '***' placeholders: refuse to
    store them as real secrets."""
    if not isinstance(data, dict):
        return
    fields = ["admin_pass"] if data.get("admin_pass") == MASK else []
    meta = data.get("meta")
    if isinstance(meta, dict):
        fields += [f"meta.{key}" for key, value in meta.items() if value == MASK]
    if fields:
        raise ConfigError(
            f"invalid instance record, {fields[0]}: is the masked placeholder {MASK!r}",
            subject=source,
            hint="use `wincloud instance show ID --reveal` for the real value, or give a new one",
        )


def _load_record(file: str, *, uuid: str | None = None) -> Instance:
    """FILE as an Instance; with ``uuid``, the record's uuid must be it (or be left out)."""
    data, source = _read_document(file)
    if uuid is not None and isinstance(data, dict):
        given = data.get("uuid")
        if given is None:
            data["uuid"] = uuid
            click.echo(f"note: {source} has no uuid; using {uuid} from ID", err=True)
        elif isinstance(given, str) and canonical_uuid(given) not in (None, uuid):
            raise ConfigError(
                f"the record's uuid {given} is not the uuid of the instance to update, {uuid}",
                subject=source,
                hint="fix the uuid in the file, or leave it out to take it from ID",
            )
    _reject_masked(data, source)
    return parse_instance(data, source=source)


# -- presenting records ------------------------------------------------------------------


def _not_found(instance_id: str) -> NotFound:
    return NotFound(
        "no such instance",
        subject=instance_id,
        hint="`wincloud instance list` shows the stored instances",
    )


def _addresses(inst: Instance) -> list[str]:
    return list(dict.fromkeys(address_key(ip) for ip in inst.addresses))


def _summary(stored: StoredInstance) -> dict[str, Any]:
    inst = stored.instance
    return {
        "uuid": inst.uuid,
        "name": inst.name,
        "hostname": inst.hostname,
        "addresses": _addresses(inst),
        "revision": stored.revision,
        "updated_at": stored.updated_at.isoformat(),
        "has_password": stored.has_password,
    }


def _masked_document(inst: Instance, *, reveal: bool) -> dict[str, Any]:
    doc = inst.to_document(reveal=reveal)
    if not reveal and isinstance(doc.get("meta"), dict):
        doc["meta"] = {k: MASK if _is_secret_meta(k) else v for k, v in doc["meta"].items()}
    return doc


def _as_text(b64: str) -> str | None:
    try:
        return base64.b64decode(b64, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _readable(doc: dict[str, Any]) -> dict[str, Any]:
    """Binary fields as text where they are UTF-8 (``update`` reads either form back)."""
    out = dict(doc)
    text = _as_text(out["user_data_base64"]) if "user_data_base64" in out else None
    if text is not None:
        del out["user_data_base64"]
        out["user_data"] = text
    files = []
    for item in out.get("files", []):
        content = _as_text(item["content_base64"])
        files.append(item if content is None else {"path": item["path"], "content": content})
    out["files"] = files
    return out


def _dump_yaml(doc: dict[str, Any]) -> str:
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)


# -- commands ----------------------------------------------------------------------------


@instance.command("add")
@click.argument("file", metavar="FILE")
@db_option
def add_command(file: str, db: str | None) -> None:
    """Store a new instance from a YAML or JSON record (FILE, or - for standard input)."""
    record = _load_record(file)
    with open_repo_from(db, create=True) as repo:
        stored = repo.add(record)
    addresses = ", ".join(_addresses(record)) or "none"
    click.echo(
        f"added {record.uuid} ({record.name}): revision {stored.revision}, addresses {addresses}"
    )


@instance.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@db_option
def list_command(as_json: bool, db: str | None) -> None:
    """List the stored instances."""
    with open_repo_from(db) as repo:
        stored = repo.list()
        where = repo.url
    if as_json:
        echo_json([_summary(item) for item in stored])
        return
    if not stored:
        click.echo(f"no instances in {where}", err=True)
        return
    rows = [
        [
            item.instance.uuid,
            item.instance.name,
            item.instance.hostname,
            ",".join(_addresses(item.instance)) or "-",
            str(item.revision),
            "yes" if item.has_password else "no",
        ]
        for item in stored
    ]
    headers = ["UUID", "NAME", "HOSTNAME", "ADDRESSES", "REVISION", "PASSWORD"]
    click.echo(render_table(headers, rows))


@instance.command("show")
@click.argument("instance_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (binary fields in base64).")
@click.option("--reveal", is_flag=True, help="Show admin_pass and secret meta values.")
@db_option
def show_command(instance_id: str, as_json: bool, reveal: bool, db: str | None) -> None:
    """Show one instance's record (admin_pass and secret meta values masked)."""
    with open_repo_from(db) as repo:
        stored = repo.get(instance_id)
    if stored is None:
        raise _not_found(instance_id)
    doc = _masked_document(stored.instance, reveal=reveal)
    if as_json:
        echo_json(
            {
                "revision": stored.revision,
                "updated_at": stored.updated_at.isoformat(),
                "has_password": stored.has_password,
                "record": doc,
            }
        )
        return
    click.echo(
        f"# revision {stored.revision}, updated {stored.updated_at.isoformat()}, "
        f"password set: {'yes' if stored.has_password else 'no'}"
    )
    click.echo(_dump_yaml(_readable(doc)), nl=False)


@instance.command("update")
@click.argument("instance_id", metavar="ID")
@click.argument("file", metavar="FILE")
@db_option
def update_command(instance_id: str, file: str, db: str | None) -> None:
    """Replace an instance's record with FILE (- for standard input).

    The record's uuid must be the instance's; leave it out to take it from ID. The posted
    password is kept.
    """
    with open_repo_from(db) as repo:
        uuid = repo.resolve(instance_id)
        if uuid is None:
            raise _not_found(instance_id)
        record = _load_record(file, uuid=uuid)
        stored = repo.update(record)
    click.echo(f"updated {record.uuid} ({record.name}): revision {stored.revision}")


@instance.command("rm")
@click.argument("instance_id", metavar="ID")
@db_option
def rm_command(instance_id: str, db: str | None) -> None:
    """Remove an instance, its addresses and its password."""
    with open_repo_from(db) as repo:
        stored = repo.get(instance_id)
        if stored is None or not repo.remove(stored.instance.uuid):
            raise _not_found(instance_id)
    click.echo(f"removed {stored.instance.uuid} ({stored.instance.name})")


@instance.command("clear-password")
@click.argument("instance_id", metavar="ID")
@db_option
def clear_password_command(instance_id: str, db: str | None) -> None:
    """Forget the password the guest posted, so its agent may post a new one (Nova's
    clear-password)."""
    with open_repo_from(db) as repo:
        stored = repo.get(instance_id)
        if stored is None:
            raise _not_found(instance_id)
        was_set = repo.clear_password(stored.instance.uuid)
    state = "cleared" if was_set else "no password was set for"
    click.echo(f"{state} {stored.instance.uuid} ({stored.instance.name})")
