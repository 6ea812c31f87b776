"""Instance lifecycle history and host inventory, for licence accounting.

``instance_history`` gets one row per licensing-relevant change, written by triggers in the
transaction of the change (so every writer is seen: the CLI, the admin API, an importer, plain
SQL): ``created`` (INSERT on instances, at the row's created_at), ``moved`` (the record's
``host`` changed) or ``updated`` (project, flavor, vCPUs, image or ``meta.os_type`` changed;
at the row's updated_at), ``deleted`` (DELETE, at the database's clock) and ``activation`` (a
guest's activation report, at its received_at). The table is append-only: triggers refuse
UPDATE and DELETE (and TRUNCATE on PostgreSQL) of its rows. ``hosts`` is the inventory.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

# ruff: noqa: S608 -- trigger DDL assembled from constants in this file only, no outside input

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "instance_uuid, event, at, project_id, host, flavor, vcpus, image_id, os_type"


def _sqlite_values(row: str, event: str, at: str) -> str:
    rec = f"{row}.record"
    return (
        f"({row}.uuid, {event}, {at}, {row}.project_id, json_extract({rec}, '$.host'), "
        f"json_extract({rec}, '$.instance_type'), json_extract({rec}, '$.vcpus'), "
        f"json_extract({rec}, '$.image_id'), json_extract({rec}, '$.meta.os_type'))"
    )


def _sqlite_differs(path: str) -> str:
    return f"json_extract(OLD.record, '{path}') IS NOT json_extract(NEW.record, '{path}')"


_SQLITE_MOVED = _sqlite_differs("$.host")
_SQLITE_CHANGED = " OR ".join(
    [
        _SQLITE_MOVED,
        "OLD.project_id IS NOT NEW.project_id",
        *(
            _sqlite_differs(path)
            for path in ("$.instance_type", "$.vcpus", "$.image_id", "$.meta.os_type")
        ),
    ]
)
# SQLAlchemy's SQLite DATETIME text, microseconds included.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"
_SQLITE_BUILD = (
    "CASE WHEN json_type(NEW.body, '$.build') = 'integer' "
    "AND json_extract(NEW.body, '$.build') BETWEEN 0 AND 2147483647 "
    "THEN json_extract(NEW.body, '$.build') END"
)
_APPEND_ONLY = "instance_history is append-only"

_SQLITE_TRIGGERS = {
    "history_instances_insert": "AFTER INSERT ON instances BEGIN "
    f"INSERT INTO instance_history ({_COLUMNS}) VALUES "
    + _sqlite_values("NEW", "'created'", "NEW.created_at")
    + "; END",
    "history_instances_update": f"AFTER UPDATE ON instances WHEN {_SQLITE_CHANGED} BEGIN "
    f"INSERT INTO instance_history ({_COLUMNS}) VALUES "
    + _sqlite_values(
        "NEW", f"CASE WHEN {_SQLITE_MOVED} THEN 'moved' ELSE 'updated' END", "NEW.updated_at"
    )
    + "; END",
    "history_instances_delete": "AFTER DELETE ON instances BEGIN "
    f"INSERT INTO instance_history ({_COLUMNS}) VALUES "
    + _sqlite_values("OLD", "'deleted'", _SQLITE_NOW)
    + "; END",
    "history_reports_insert": "AFTER INSERT ON reports WHEN NEW.kind = 'activation' BEGIN "
    "INSERT INTO instance_history (instance_uuid, event, at, edition, build, key_source, "
    "activation, license_status) VALUES (NEW.instance_uuid, 'activation', NEW.received_at, "
    f"json_extract(NEW.body, '$.edition'), {_SQLITE_BUILD}, "
    "json_extract(NEW.body, '$.key_source'), json_extract(NEW.body, '$.activation'), "
    "json_extract(NEW.body, '$.license_status')); END",
    "history_append_only_update": "BEFORE UPDATE ON instance_history BEGIN "
    f"SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
    "history_append_only_delete": "BEFORE DELETE ON instance_history BEGIN "
    f"SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
}

_PG_FUNCTIONS = [
    """
CREATE FUNCTION wincloud_note_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rec json;
    was json;
    kind varchar(16);
    row_at timestamptz;
BEGIN
    IF TG_OP = 'DELETE' THEN
        rec := OLD.record::json;
        INSERT INTO instance_history (instance_uuid, event, at, project_id, host, flavor, vcpus,
                                      image_id, os_type)
        VALUES (OLD.uuid, 'deleted', now(), OLD.project_id, rec->>'host',
                rec->>'instance_type', (rec->>'vcpus')::integer, rec->>'image_id',
                rec->'meta'->>'os_type');
        RETURN NULL;
    END IF;
    rec := NEW.record::json;
    IF TG_OP = 'INSERT' THEN
        kind := 'created';
        row_at := NEW.created_at;
    ELSE
        was := OLD.record::json;
        IF (was->>'host') IS DISTINCT FROM (rec->>'host') THEN
            kind := 'moved';
        ELSIF OLD.project_id IS DISTINCT FROM NEW.project_id
            OR (was->>'instance_type') IS DISTINCT FROM (rec->>'instance_type')
            OR (was->>'vcpus') IS DISTINCT FROM (rec->>'vcpus')
            OR (was->>'image_id') IS DISTINCT FROM (rec->>'image_id')
            OR (was->'meta'->>'os_type') IS DISTINCT FROM (rec->'meta'->>'os_type') THEN
            kind := 'updated';
        ELSE
            RETURN NULL;
        END IF;
        row_at := NEW.updated_at;
    END IF;
    INSERT INTO instance_history (instance_uuid, event, at, project_id, host, flavor, vcpus,
                                  image_id, os_type)
    VALUES (NEW.uuid, kind, row_at, NEW.project_id, rec->>'host', rec->>'instance_type',
            (rec->>'vcpus')::integer, rec->>'image_id', rec->'meta'->>'os_type');
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION wincloud_note_activation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json;
    v_edition text;
    v_build integer;
    v_key text;
    v_activation text;
    v_status text;
BEGIN
    IF NEW.kind <> 'activation' THEN
        RETURN NULL;
    END IF;
    -- The guest's words: a value PostgreSQL cannot hold as text (an escaped NUL) leaves the
    -- fields unknown rather than failing the report.
    BEGIN
        body := NEW.body::json;
        v_edition := body->>'edition';
        IF json_typeof(body->'build') = 'number' AND (body->>'build') ~ '^[0-9]{1,9}$' THEN
            v_build := (body->>'build')::integer;
        END IF;
        v_key := body->>'key_source';
        v_activation := body->>'activation';
        v_status := body->>'license_status';
    EXCEPTION WHEN others THEN
        v_edition := NULL; v_build := NULL; v_key := NULL; v_activation := NULL;
        v_status := NULL;
    END;
    INSERT INTO instance_history (instance_uuid, event, at, edition, build, key_source,
                                  activation, license_status)
    VALUES (NEW.instance_uuid, 'activation', NEW.received_at, v_edition, v_build, v_key,
            v_activation, v_status);
    RETURN NULL;
END
$$
""",
    f"""
CREATE FUNCTION wincloud_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_APPEND_ONLY}';
END
$$
""",
]

_PG_TRIGGERS = [
    "CREATE TRIGGER history_instances AFTER INSERT OR UPDATE OR DELETE ON instances "
    "FOR EACH ROW EXECUTE FUNCTION wincloud_note_history()",
    "CREATE TRIGGER history_reports AFTER INSERT ON reports "
    "FOR EACH ROW EXECUTE FUNCTION wincloud_note_activation()",
    "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON instance_history "
    "FOR EACH ROW EXECUTE FUNCTION wincloud_history_append_only()",
    "CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON instance_history "
    "FOR EACH STATEMENT EXECUTE FUNCTION wincloud_history_append_only()",
]


# Instances and reports stored before this revision: their history starts with what is known now.
_SQLITE_BACKFILL = [
    f"INSERT INTO instance_history ({_COLUMNS}) SELECT "
    + _sqlite_values("instances", "'created'", "instances.created_at")[1:-1]
    + " FROM instances ORDER BY created_at",
    "INSERT INTO instance_history (instance_uuid, event, at, edition, build, key_source, "
    "activation, license_status) SELECT instance_uuid, 'activation', received_at, "
    "json_extract(body, '$.edition'), "
    + _SQLITE_BUILD.replace("NEW.", "")
    + ", json_extract(body, '$.key_source'), json_extract(body, '$.activation'), "
    "json_extract(body, '$.license_status') FROM reports WHERE kind = 'activation' "
    "ORDER BY received_at",
]
_PG_BACKFILL = [
    f"INSERT INTO instance_history ({_COLUMNS}) SELECT uuid, 'created', created_at, project_id, "
    "record::json->>'host', record::json->>'instance_type', (record::json->>'vcpus')::integer, "
    "record::json->>'image_id', record::json->'meta'->>'os_type' FROM instances "
    "ORDER BY created_at",
    # through the trigger's own extraction: an UPDATE of a report re-inserts nothing, so
    # insert the rows from a copy of the reports
    "CREATE TEMPORARY TABLE wincloud_reports_copy ON COMMIT DROP AS "
    "SELECT * FROM reports WHERE kind = 'activation'",
    "DELETE FROM reports WHERE kind = 'activation'",
    "INSERT INTO reports SELECT * FROM wincloud_reports_copy ORDER BY received_at",
]


def upgrade() -> None:
    op.create_table(
        "instance_history",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("project_id", sa.Text(), nullable=True),
        sa.Column("host", sa.Text(), nullable=True),
        sa.Column("flavor", sa.Text(), nullable=True),
        sa.Column("vcpus", sa.Integer(), nullable=True),
        sa.Column("image_id", sa.Text(), nullable=True),
        sa.Column("os_type", sa.Text(), nullable=True),
        sa.Column("edition", sa.Text(), nullable=True),
        sa.Column("build", sa.Integer(), nullable=True),
        sa.Column("key_source", sa.Text(), nullable=True),
        sa.Column("activation", sa.Text(), nullable=True),
        sa.Column("license_status", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_instance_history"),
    )
    op.create_index("ix_instance_history_instance_uuid", "instance_history", ["instance_uuid"])
    op.create_index("ix_instance_history_at", "instance_history", ["at"])
    op.create_table(
        "hosts",
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("sockets", sa.Integer(), nullable=False),
        sa.Column("cores_per_socket", sa.Integer(), nullable=False),
        sa.Column("cluster", sa.String(255), nullable=True),
        sa.Column("hypervisor", sa.String(32), nullable=False),
        sa.Column("licence", sa.String(16), nullable=True),
        sa.Column("licensed_vms", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hostname", name="pk_hosts"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*_PG_FUNCTIONS, *_PG_TRIGGERS, *_PG_BACKFILL):
            op.execute(statement)
        return
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    for statement in _SQLITE_BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER history_instances ON instances")
        op.execute("DROP TRIGGER history_reports ON reports")
        op.drop_table("instance_history")  # its own triggers go with it
        for function in (
            "wincloud_note_history",
            "wincloud_note_activation",
            "wincloud_history_append_only",
        ):
            op.execute(f"DROP FUNCTION {function}()")
    else:
        for name in _SQLITE_TRIGGERS:
            if not name.startswith("history_append_only"):
                op.execute(f"DROP TRIGGER {name}")
        op.drop_table("instance_history")
    op.drop_table("hosts")
