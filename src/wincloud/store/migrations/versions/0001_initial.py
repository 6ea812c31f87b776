"""Initial schema: instances, addresses, passwords.

Revision ID: 0001
Revises:
Create Date: 2026-05-10

A frozen snapshot: it does not import wincloud.store.tables, which may move on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name="pk_instances"),
    )
    op.create_index("ix_instances_name", "instances", ["name"])
    op.create_table(
        "addresses",
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_uuid"],
            ["instances.uuid"],
            name="fk_addresses_instance_uuid_instances",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("address", name="pk_addresses"),
    )
    op.create_index("ix_addresses_instance_uuid", "addresses", ["instance_uuid"])
    op.create_table(
        "passwords",
        sa.Column("instance_uuid", sa.String(36), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_uuid"],
            ["instances.uuid"],
            name="fk_passwords_instance_uuid_instances",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance_uuid", name="pk_passwords"),
    )


def downgrade() -> None:
    op.drop_table("passwords")
    op.drop_index("ix_addresses_instance_uuid", table_name="addresses")
    op.drop_table("addresses")
    op.drop_index("ix_instances_name", table_name="instances")
    op.drop_table("instances")
