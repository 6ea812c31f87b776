"""Persistence of instance records: SQLite by default, PostgreSQL (or any SQLAlchemy URL) at
scale; the schema is migrated with Alembic, in code, when the store is opened."""

from __future__ import annotations

from wincloud.store.repo import (
    InstanceRef,
    InstanceRepo,
    StoredInstance,
    address_key,
    canonical_uuid,
)
from wincloud.store.sql import SqlInstanceRepo, open_repo
from wincloud.store.urls import default_db_path, default_db_url, display_url

__all__ = [
    "InstanceRef",
    "InstanceRepo",
    "SqlInstanceRepo",
    "StoredInstance",
    "address_key",
    "canonical_uuid",
    "default_db_path",
    "default_db_url",
    "display_url",
    "open_repo",
]
