"""The store's schema as SQLAlchemy Core tables.

``migrations/versions/`` creates exactly this schema (a test compares the two), so a change here
needs a new migration revision.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING: Final = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata: Final = sa.MetaData(naming_convention=NAMING)

# One row per instance. ``record`` is Instance.to_document() as compact JSON (the source of
# truth); the other columns are copies for listing and lookups. ``revision`` starts at 1 and
# grows by one on every update, so readers can cache a rendered tree per (uuid, revision).
instances: Final = sa.Table(
    "instances",
    metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, index=True),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("record", sa.Text(), nullable=False),
)

# Every address that identifies an instance (fixed IPs and network_data addresses), in
# canonical text form. The primary key makes an address belong to one instance at most and is
# the index behind identification by source IP.
addresses: Final = sa.Table(
    "addresses",
    metadata,
    sa.Column("address", sa.String(45), primary_key=True),
    sa.Column(
        "instance_uuid",
        sa.String(36),
        sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

# The encrypted password an instance posts once (Nova's POST /openstack/latest/password).
# The primary key is what makes it write-once: a second INSERT fails, whoever races.
passwords: Final = sa.Table(
    "passwords",
    metadata,
    sa.Column(
        "instance_uuid",
        sa.String(36),
        sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
    sa.Column("set_at", UtcDateTime(), nullable=False),
)

# What a guest reported about itself (e.g. kind "activation": its Windows licensing state), the
# last report of each kind per instance. ``body`` is the guest's JSON, stored as data.
reports: Final = sa.Table(
    "reports",
    metadata,
    sa.Column(
        "instance_uuid",
        sa.String(36),
        sa.ForeignKey("instances.uuid", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

# The change feed (migration 0003): triggers on ``instances`` and ``passwords`` log the uuid of
# every committed change; the metadata service follows ``seq`` to keep its index fresh.
changes: Final = sa.Table(
    "changes",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
)

# Instance lifecycle history (migration 0004): one row per licensing-relevant change, written by
# triggers on ``instances`` (created, updated, moved, deleted) and ``reports`` (activation), and
# append-only: triggers refuse UPDATE and DELETE of its rows. ``licensing`` reads it.
instance_history: Final = sa.Table(
    "instance_history",
    metadata,
    sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("instance_uuid", sa.String(36), nullable=False, index=True),
    sa.Column("event", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
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
)

# Compute hosts for licence accounting (migration 0004): physical topology and how the host is
# licensed; kept with `wincloud host` and the admin API.
hosts: Final = sa.Table(
    "hosts",
    metadata,
    sa.Column("hostname", sa.String(255), primary_key=True),
    sa.Column("sockets", sa.Integer(), nullable=False),
    sa.Column("cores_per_socket", sa.Integer(), nullable=False),
    sa.Column("cluster", sa.String(255), nullable=True),
    sa.Column("hypervisor", sa.String(32), nullable=False),
    sa.Column("licence", sa.String(16), nullable=True),
    sa.Column("licensed_vms", sa.Integer(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
