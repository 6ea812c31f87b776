"""Change feed: every committed change to an instance or its password leaves a row in
``changes`` (written by triggers, so writers outside wincloud are seen too), which the
metadata service follows to keep its in-memory index fresh. PostgreSQL also NOTIFYs
``wincloud_changes`` and serializes the writers that log a change, so ``seq`` grows in
commit order on every backend (SQLite writers are serialized anyway).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGERS = {
    "changes_instances_insert": "AFTER INSERT ON instances BEGIN "
    "INSERT INTO changes (instance_uuid) VALUES (NEW.uuid); END",
    "changes_instances_update": "AFTER UPDATE ON instances BEGIN "
    "INSERT INTO changes (instance_uuid) VALUES (NEW.uuid); END",
    "changes_instances_delete": "AFTER DELETE ON instances BEGIN "
    "INSERT INTO changes (instance_uuid) VALUES (OLD.uuid); END",
    "changes_passwords_insert": "AFTER INSERT ON passwords BEGIN "
    "INSERT INTO changes (instance_uuid) VALUES (NEW.instance_uuid); END",
    "changes_passwords_delete": "AFTER DELETE ON passwords BEGIN "
    "INSERT INTO changes (instance_uuid) VALUES (OLD.instance_uuid); END",
}

_PG_FUNCTION = """
CREATE FUNCTION wincloud_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed varchar(36);
BEGIN
    IF TG_TABLE_NAME = 'instances' THEN
        IF TG_OP = 'DELETE' THEN changed := OLD.uuid; ELSE changed := NEW.uuid; END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN changed := OLD.instance_uuid;
        ELSE changed := NEW.instance_uuid; END IF;
    END IF;
    -- Serialize change-logging writers until they commit, so seq order is commit order.
    -- The key is the bytes of "wcchange" as a signed 64-bit integer.
    PERFORM pg_advisory_xact_lock(8602829013170153317);
    INSERT INTO changes (instance_uuid) VALUES (changed);
    PERFORM pg_notify('wincloud_changes', changed);
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_changes"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER changes_instances AFTER INSERT OR UPDATE OR DELETE ON instances "
            "FOR EACH ROW EXECUTE FUNCTION wincloud_note_change()"
        )
        op.execute(
            "CREATE TRIGGER changes_passwords AFTER INSERT OR DELETE ON passwords "
            "FOR EACH ROW EXECUTE FUNCTION wincloud_note_change()"
        )
        return
    for name, body in _SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER changes_instances ON instances")
        op.execute("DROP TRIGGER changes_passwords ON passwords")
        op.execute("DROP FUNCTION wincloud_note_change()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("changes")
