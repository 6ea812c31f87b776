"""InstanceRepo over SQLAlchemy Core: SQLite, PostgreSQL or any SQLAlchemy URL."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv6Address
from types import TracebackType
from typing import Any, Final, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError

from wincloud.errors import ConfigError, NotFound, StoreError
from wincloud.model import Instance, parse_instance
from wincloud.store.engine import (
    CONNECT_TIMEOUT_S,
    begin_write,
    create_read_engine,
    create_store_engine,
    sqlite_file,
    translate_errors,
)
from wincloud.store.health import BoundedProbe
from wincloud.store.history import HistoryStore
from wincloud.store.hosts import HostStore
from wincloud.store.hotpath import CompiledRead
from wincloud.store.migrate import check_at_head, upgrade_to_head
from wincloud.store.repo import InstanceRef, StoredInstance, address_key, canonical_uuid
from wincloud.store.reports import ReportStore
from wincloud.store.tables import addresses, instances, passwords
from wincloud.store.urls import display_url

log = logging.getLogger(__name__)

T = TypeVar("T")
# A health check's answer time at most: the connect timeout and a round trip to spare.
HEALTH_TIMEOUT_S: Final = CONNECT_TIMEOUT_S + 2.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _record_json(instance: Instance) -> str:
    # No sort_keys: key order is data (public_keys[0] is the key guests encrypt with).
    return json.dumps(instance.to_document(reveal=True), separators=(",", ":"))


def _address_keys(instance: Instance) -> list[str]:
    return list(dict.fromkeys(address_key(ip) for ip in instance.addresses))


_REF_BY_ADDRESS: Final = (
    sa.select(instances.c.uuid, instances.c.revision, instances.c.created_at)
    .join_from(addresses, instances, addresses.c.instance_uuid == instances.c.uuid)
    .where(addresses.c.address == sa.bindparam("address"))
)
_REF_BY_ID: Final = sa.select(instances.c.uuid, instances.c.revision, instances.c.created_at).where(
    instances.c.uuid == sa.bindparam("uuid")
)
_STORED: Final = sa.select(
    instances.c.uuid,
    instances.c.record,
    instances.c.revision,
    instances.c.updated_at,
    passwords.c.instance_uuid.is_not(None).label("has_password"),
).select_from(instances.outerjoin(passwords, passwords.c.instance_uuid == instances.c.uuid))
_PASSWORD: Final = sa.select(passwords.c.ciphertext).where(
    passwords.c.instance_uuid == sa.bindparam("uuid")
)
_PING: Final[sa.Select[Any]] = sa.select(sa.literal_column("1"))


class SqlInstanceRepo:
    """InstanceRepo over SQLAlchemy engines (thread-safe; share one per process).

    ``engine`` runs the writes; ``reader`` (default: ``engine``) the one-statement reads.
    """

    def __init__(
        self,
        engine: Engine,
        url: str,
        *,
        reader: Engine | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ):
        self._engine = engine
        self._reader = reader if reader is not None else engine
        self._url = url
        self._clock = clock
        self.reports = ReportStore(engine, url, clock)
        self.history = HistoryStore(engine, url)
        self.hosts = HostStore(engine, url, clock)
        self._by_address = CompiledRead(self._reader, _REF_BY_ADDRESS, url, "look up an address")
        self._by_id = CompiledRead(self._reader, _REF_BY_ID, url, "look up an instance")
        self._ping = CompiledRead(self._reader, _PING, url, "reach the database")
        self._probe = BoundedProbe(self._ping_once, name="wincloud-store-health")

    @property
    def url(self) -> str:
        """The store's URL with the password hidden."""
        return display_url(self._url)

    @property
    def engine(self) -> Engine:
        return self._engine

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._reader.dispose()
        self._engine.dispose()

    def _read(self, action: str, query: Callable[[Connection], T]) -> T:
        """Run a read-only ``query``; once more if the pooled connection had died (a database
        restart), since reads are safe to repeat."""
        with translate_errors(self._url, action):
            try:
                with self._reader.connect() as conn:
                    return query(conn)
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    raise
            with self._reader.connect() as conn:
                return query(conn)

    def health(self, *, timeout: float = HEALTH_TIMEOUT_S) -> str | None:
        """None while the store can serve reads and take writes, else one line saying why not.

        Cheap (a stat of the SQLite file, one ``SELECT 1``) and answered within ``timeout``
        seconds even when the database hangs. A dead pooled connection is replaced on the
        way, so the first check after an outage ends reports healthy.
        """
        file = sqlite_file(self._engine)
        if file is not None:
            problem = file.problem()
            if problem is not None:
                return problem
        return self._probe(timeout)

    def _ping_once(self) -> str | None:
        try:
            self._ping.first({})
        except StoreError as err:
            return str(err)
        return None

    # -- reads ------------------------------------------------------------------------

    def ref_by_address(self, ip: IPv4Address | IPv6Address) -> InstanceRef | None:
        row = self._by_address.first({"address": address_key(ip)})
        return InstanceRef(row[0], row[1], str(row[2])) if row is not None else None

    def ref_by_id(self, instance_id: str) -> InstanceRef | None:
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            return None
        row = self._by_id.first({"uuid": wanted})
        return InstanceRef(row[0], row[1], str(row[2])) if row is not None else None

    def resolve(self, instance_id: str) -> str | None:
        """The uuid of the instance with this uuid or (unique) name; None if there is none."""
        return self._read("look up an instance", lambda conn: _resolve(conn, instance_id))

    def get(self, instance_id: str) -> StoredInstance | None:
        def query(conn: Connection) -> Row[Any] | None:
            found = _resolve(conn, instance_id)
            if found is None:
                return None
            return conn.execute(_STORED.where(instances.c.uuid == found)).first()

        row = self._read("read an instance", query)
        return self._stored(row) if row is not None else None

    def list(self) -> list[StoredInstance]:
        query = _STORED.order_by(instances.c.name, instances.c.uuid)
        rows = self._read("list instances", lambda conn: conn.execute(query).all())
        return [self._stored(row) for row in rows]

    def get_password(self, instance_id: str) -> bytes | None:
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            return None
        params = {"uuid": wanted}
        value = self._read(
            "read a password", lambda conn: conn.execute(_PASSWORD, params).scalar_one_or_none()
        )
        return bytes(value) if value is not None else None

    # -- writes -----------------------------------------------------------------------

    def add(self, instance: Instance) -> StoredInstance:
        now = self._clock()
        keys = _address_keys(instance)
        with translate_errors(self._url, "add the instance"):
            try:
                with begin_write(self._engine) as conn:
                    if conn.execute(_REF_BY_ID, {"uuid": instance.uuid}).first() is not None:
                        raise _already_exists(instance)
                    _check_addresses(conn, instance, keys)
                    conn.execute(
                        sa.insert(instances).values(
                            **_columns(instance), created_at=now, updated_at=now, revision=1
                        )
                    )
                    _insert_addresses(conn, instance.uuid, keys)
            except IntegrityError:
                self._explain_conflict(instance, keys, adding=True)
                raise
        log.info("instance added uuid=%s addresses=%d", instance.uuid, len(keys))
        return StoredInstance(instance, 1, now, has_password=False)

    def update(self, instance: Instance) -> StoredInstance:
        now = self._clock()
        keys = _address_keys(instance)
        with translate_errors(self._url, "update the instance"):
            try:
                with begin_write(self._engine) as conn:
                    # The UPDATE comes first: it locks the row, so concurrent updates of one
                    # instance queue and each gets its own revision.
                    changed = conn.execute(
                        sa.update(instances)
                        .where(instances.c.uuid == instance.uuid)
                        .values(
                            **_columns(instance),
                            updated_at=now,
                            revision=instances.c.revision + 1,
                        )
                    )
                    if changed.rowcount == 0:
                        raise _not_found(instance.uuid)
                    _check_addresses(conn, instance, keys)
                    conn.execute(
                        sa.delete(addresses).where(addresses.c.instance_uuid == instance.uuid)
                    )
                    _insert_addresses(conn, instance.uuid, keys)
                    row = conn.execute(_STORED.where(instances.c.uuid == instance.uuid)).one()
            except IntegrityError:
                self._explain_conflict(instance, keys, adding=False)
                raise
        log.info("instance updated uuid=%s revision=%d", instance.uuid, row.revision)
        return StoredInstance(instance, row.revision, now, has_password=bool(row.has_password))

    def remove(self, instance_id: str) -> bool:
        with translate_errors(self._url, "remove the instance"), begin_write(self._engine) as conn:
            found = _resolve(conn, instance_id)
            if found is None:
                return False
            # addresses and password go with it (ON DELETE CASCADE)
            gone = conn.execute(sa.delete(instances).where(instances.c.uuid == found)).rowcount
        log.info("instance removed uuid=%s", found)
        return bool(gone)

    def clear_password(self, instance_id: str) -> bool:
        """Forget the posted password (Nova's clear-password), so the guest may post again.
        False when none was set; NotFound when there is no such instance."""
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            raise _not_found(instance_id)
        with translate_errors(self._url, "clear the password"), begin_write(self._engine) as conn:
            if conn.execute(_REF_BY_ID, {"uuid": wanted}).first() is None:
                raise _not_found(wanted)
            gone = conn.execute(
                sa.delete(passwords).where(passwords.c.instance_uuid == wanted)
            ).rowcount
        log.info("password cleared uuid=%s was_set=%s", wanted, bool(gone))
        return bool(gone)

    def store_password(
        self, instance_id: str, ciphertext: bytes, *, timeout: float | None = None
    ) -> bool:
        """Write-once: False if a password is already set; NotFound if no such instance.

        ``timeout``: seconds to wait at most for other writers' locks; past it StoreError and
        nothing is stored (the guest may post again), never a late commit.
        """
        wanted = canonical_uuid(instance_id)
        if wanted is None:
            raise _not_found(instance_id)
        with translate_errors(self._url, "store the password"):
            try:
                with begin_write(self._engine, timeout=timeout) as conn:
                    if conn.execute(_REF_BY_ID, {"uuid": wanted}).first() is None:
                        raise _not_found(wanted)
                    # Write-once rests on the primary key: of racing INSERTs exactly one
                    # commits, the others fail here. No read-then-write.
                    conn.execute(
                        sa.insert(passwords).values(
                            instance_uuid=wanted, ciphertext=bytes(ciphertext), set_at=self._clock()
                        )
                    )
            except IntegrityError:
                with self._engine.connect() as conn:
                    if conn.execute(_PASSWORD, {"uuid": wanted}).first() is not None:
                        log.info("password already set uuid=%s", wanted)
                        return False
                    if conn.execute(_REF_BY_ID, {"uuid": wanted}).first() is None:
                        raise _not_found(wanted) from None
                raise
        log.info("password stored uuid=%s", wanted)
        return True

    # -- helpers ----------------------------------------------------------------------

    def _stored(self, row: Row[Any]) -> StoredInstance:
        try:
            instance = parse_instance(json.loads(row.record), source=f"stored record {row.uuid}")
        except (ConfigError, ValueError) as exc:
            detail = exc.message if isinstance(exc, ConfigError) else "not JSON"
            raise StoreError(
                f"the stored record of instance {row.uuid} is not valid ({detail})",
                subject=self.url,
                hint=f"replace it: wincloud instance update {row.uuid} FILE",
            ) from None
        return StoredInstance(instance, row.revision, row.updated_at, bool(row.has_password))

    def _explain_conflict(self, instance: Instance, keys: Sequence[str], *, adding: bool) -> None:
        """After an IntegrityError caused by a concurrent writer: raise the ConfigError the
        checks would have raised had they run after that writer committed."""
        with self._engine.connect() as conn:
            if adding and conn.execute(_REF_BY_ID, {"uuid": instance.uuid}).first() is not None:
                raise _already_exists(instance) from None
            _check_addresses(conn, instance, keys)


def _columns(instance: Instance) -> dict[str, Any]:
    return {
        "uuid": instance.uuid,
        "name": instance.name,
        "hostname": instance.hostname,
        "project_id": instance.project_id,
        "record": _record_json(instance),
    }


def _resolve(conn: Connection, instance_id: str) -> str | None:
    wanted = canonical_uuid(instance_id)
    if wanted is not None and conn.execute(_REF_BY_ID, {"uuid": wanted}).first() is not None:
        return wanted
    by_name = conn.execute(
        sa.select(instances.c.uuid).where(instances.c.name == instance_id).limit(2)
    ).all()
    if len(by_name) > 1:
        raise ConfigError(
            "several instances have this name",
            subject=instance_id,
            hint="give the instance's uuid (wincloud instance list shows them)",
        )
    return str(by_name[0].uuid) if by_name else None


def _check_addresses(conn: Connection, instance: Instance, keys: Sequence[str]) -> None:
    if not keys:
        return
    taken = conn.execute(
        sa.select(addresses.c.address, instances.c.uuid, instances.c.name)
        .join_from(addresses, instances, addresses.c.instance_uuid == instances.c.uuid)
        .where(addresses.c.address.in_(keys), addresses.c.instance_uuid != instance.uuid)
        .order_by(addresses.c.address)
    ).first()
    if taken is not None:
        raise ConfigError(
            f"address {taken.address} is already used by instance {taken.name} ({taken.uuid})",
            subject=f"record of {instance.name} ({instance.uuid})",
            hint="an address identifies one instance: change this record's fixed_ips or "
            "network_data, or free the address in the other instance first",
        )


def _insert_addresses(conn: Connection, instance_uuid: str, keys: Sequence[str]) -> None:
    if keys:
        conn.execute(
            sa.insert(addresses),
            [{"address": key, "instance_uuid": instance_uuid} for key in keys],
        )


def _already_exists(instance: Instance) -> ConfigError:
    return ConfigError(
        f"instance {instance.uuid} already exists",
        subject=f"record of {instance.name}",
        hint=f"to change it: wincloud instance update {instance.uuid} FILE",
    )


def _not_found(instance_id: str) -> NotFound:
    return NotFound(
        "no such instance",
        subject=instance_id,
        hint="wincloud instance list shows the stored instances",
    )


def open_repo(url: str, *, create: bool = False, migrate: bool = True) -> SqlInstanceRepo:
    """Open the store at ``url`` (any SQLAlchemy URL), migrating its schema to the newest
    revision first; with ``migrate=False`` a schema that is not current is a StoreError.

    A SQLite file that does not exist is a StoreError with a hint to create it, unless
    ``create`` (``wincloud db init``, ``instance add``, ``metadata serve --create``): then it
    and its directory are created. An existing file without a schema is migrated either way.
    """
    engine = create_store_engine(url, create=create)
    try:
        if migrate:
            upgrade_to_head(engine, url)
        else:
            check_at_head(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return SqlInstanceRepo(engine, url, reader=create_read_engine(engine))
