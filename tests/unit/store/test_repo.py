"""Instance records in the store: round trips, revisions, addresses, removal (SQLite and
PostgreSQL through the db_url fixture)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address

import pytest
import sqlalchemy as sa

from wincloud.errors import ConfigError, NotFound
from wincloud.model import parse_instance
from wincloud.store import InstanceRef, SqlInstanceRepo
from wincloud.store.tables import addresses, instances, passwords


def _count(repo: SqlInstanceRepo, table: sa.Table) -> int:
    with repo.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_added_instance_reads_back_equal(repo, new_instance):
    inst = new_instance(
        user_data=None, user_data_base64="AAEC/w==", files=[{"path": "/a", "content": "x\n"}]
    )
    stored = repo.add(inst)
    got = repo.get(inst.uuid)
    assert stored.revision == 1
    assert got is not None
    assert got.instance == inst
    assert got.instance.user_data == b"\x00\x01\x02\xff"
    assert got.instance.files[0].content == b"x\n"
    assert got.instance.admin_pass is not None
    assert got.instance.admin_pass.get_secret_value() == "S3cret-Admin!"
    assert got.instance.network_data == inst.network_data
    assert got.revision == 1
    assert got.has_password is False


def test_record_keeps_unknown_network_data_keys(repo, new_instance, make_instance):
    inst = new_instance(
        network_data={
            "links": [{"id": "eth0", "type": "phy", "mtu": 9000, "x_vendor": {"a": [1, 2]}}],
            "networks": [{"id": "n", "type": "ipv4_dhcp", "link": "eth0"}],
        }
    )
    repo.add(inst)
    got = repo.get(inst.uuid)
    assert got is not None
    assert got.instance.network_data is not None
    assert got.instance.network_data.render() == inst.network_data.render()
    assert got.instance.network_data.links[0].model_extra == {"x_vendor": {"a": [1, 2]}}


def test_list_returns_every_instance_sorted_by_name(repo, new_instance):
    b = repo.add(new_instance(name="bravo")).instance
    a = repo.add(new_instance(name="alpha")).instance
    assert [s.instance for s in repo.list()] == [a, b]


def test_list_of_empty_store_is_empty(repo):
    assert repo.list() == []


def test_get_accepts_any_uuid_spelling(repo, new_instance):
    inst = repo.add(new_instance()).instance
    got = repo.get(inst.uuid.upper().replace("-", ""))
    assert got is not None
    assert got.instance.uuid == inst.uuid


def test_get_accepts_a_unique_name(repo, new_instance):
    inst = repo.add(new_instance(name="only-one")).instance
    got = repo.get("only-one")
    assert got is not None
    assert got.instance.uuid == inst.uuid


def test_get_by_a_shared_name_asks_for_the_uuid(repo, new_instance):
    repo.add(new_instance(name="twin"))
    repo.add(new_instance(name="twin"))
    with pytest.raises(ConfigError, match="several instances") as err:
        repo.get("twin")
    assert "uuid" in (err.value.hint or "")


def test_get_of_unknown_instance_is_none(repo):
    assert repo.get("8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012") is None
    assert repo.get("no-such-name") is None


def test_ref_by_id_gives_uuid_and_revision(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.ref_by_id(inst.uuid) == InstanceRef(inst.uuid, 1)
    assert repo.ref_by_id("not-a-uuid") is None
    assert repo.ref_by_id("8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012") is None


def test_adding_an_existing_uuid_is_rejected(repo, new_instance):
    inst = repo.add(new_instance()).instance
    again = new_instance(uuid=inst.uuid, name="other")
    with pytest.raises(ConfigError, match="already exists") as err:
        repo.add(again)
    assert "update" in (err.value.hint or "")
    got = repo.get(inst.uuid)
    assert got is not None
    assert got.instance == inst


def test_update_bumps_revision_and_replaces_record(repo, new_instance):
    inst = repo.add(new_instance()).instance
    doc = inst.to_document()
    del doc["user_data_base64"]
    changed = parse_instance({**doc, "hostname": "renamed", "user_data": "v2"})
    first = repo.update(changed)
    second = repo.update(changed)
    assert (first.revision, second.revision) == (2, 3)
    got = repo.get(inst.uuid)
    assert got is not None
    assert got.revision == 3
    assert got.instance.hostname == "renamed"
    assert got.instance.user_data == b"v2"
    assert repo.ref_by_id(inst.uuid) == InstanceRef(inst.uuid, 3)


def test_update_sets_updated_at_from_the_clock(repo, new_instance, db_url):
    now = datetime(2030, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    ticking = SqlInstanceRepo(repo.engine, db_url, clock=lambda: now)
    inst = ticking.add(new_instance()).instance
    now += timedelta(hours=1)
    ticking.update(inst)
    got = repo.get(inst.uuid)
    assert got is not None
    assert got.updated_at == datetime(2030, 1, 2, 4, 4, 5, 600000, tzinfo=UTC)


def test_update_of_unknown_instance_is_not_found(repo, new_instance):
    inst = new_instance()
    with pytest.raises(NotFound):
        repo.update(inst)
    assert repo.list() == []
    assert _count(repo, addresses) == 0


def test_instance_is_found_by_each_of_its_addresses(repo, new_instance):
    inst = repo.add(
        new_instance(fixed_ips=["10.9.0.5", "fd00:9::5"])  # network_data adds its own address
    ).instance
    ref = InstanceRef(inst.uuid, 1)
    assert repo.ref_by_address(ip_address("10.9.0.5")) == ref
    assert repo.ref_by_address(ip_address("fd00:9:0:0:0:0:0:5")) == ref
    assert repo.ref_by_address(ip_address("::ffff:10.9.0.5")) == ref  # dual-stack socket form
    net_ip = inst.network_data.addresses()[0]
    assert repo.ref_by_address(net_ip) == ref
    assert repo.ref_by_address(ip_address("10.9.0.6")) is None


def test_update_replaces_addresses(repo, new_instance):
    inst = repo.add(new_instance(fixed_ips=["10.9.1.5"], network_data=None)).instance
    repo.update(parse_instance({**inst.to_document(), "fixed_ips": ["10.9.1.6"]}))
    assert repo.ref_by_address(ip_address("10.9.1.5")) is None
    assert repo.ref_by_address(ip_address("10.9.1.6")) == InstanceRef(inst.uuid, 2)


def test_address_of_another_instance_is_rejected_and_nothing_stored(repo, new_instance):
    owner = repo.add(new_instance(name="owner", fixed_ips=["10.9.2.5"])).instance
    intruder = new_instance(name="intruder", fixed_ips=["10.9.2.99", "10.9.2.5"])
    with pytest.raises(ConfigError) as err:
        repo.add(intruder)
    assert "10.9.2.5" in str(err.value)
    assert "owner" in str(err.value)
    assert owner.uuid in str(err.value)
    assert repo.get(intruder.uuid) is None
    assert repo.ref_by_address(ip_address("10.9.2.99")) is None
    assert [s.instance.uuid for s in repo.list()] == [owner.uuid]


def test_failed_update_leaves_the_old_record_intact(repo, new_instance):
    repo.add(new_instance(fixed_ips=["10.9.3.5"], network_data=None))
    mine = repo.add(new_instance(fixed_ips=["10.9.3.6"], network_data=None)).instance
    grabbing = parse_instance(
        {**mine.to_document(), "fixed_ips": ["10.9.3.7", "10.9.3.5"], "hostname": "changed"}
    )
    with pytest.raises(ConfigError, match=r"10\.9\.3\.5"):
        repo.update(grabbing)
    got = repo.get(mine.uuid)
    assert got is not None
    assert (got.revision, got.instance) == (1, mine)
    assert repo.ref_by_address(ip_address("10.9.3.6")) == InstanceRef(mine.uuid, 1)
    assert repo.ref_by_address(ip_address("10.9.3.7")) is None


def test_an_instance_may_keep_its_own_addresses_on_update(repo, new_instance):
    inst = repo.add(new_instance(fixed_ips=["10.9.4.5"], network_data=None)).instance
    assert repo.update(inst).revision == 2
    assert repo.ref_by_address(ip_address("10.9.4.5")) == InstanceRef(inst.uuid, 2)


def test_remove_deletes_instance_addresses_and_password(repo, new_instance):
    inst = repo.add(new_instance(fixed_ips=["10.9.5.5"])).instance
    other = repo.add(new_instance(fixed_ips=["10.9.5.6"])).instance
    assert repo.store_password(inst.uuid, b"cipher")
    assert repo.remove(inst.uuid) is True
    assert repo.get(inst.uuid) is None
    assert repo.ref_by_address(ip_address("10.9.5.5")) is None
    assert repo.get_password(inst.uuid) is None
    with repo.engine.connect() as conn:
        left = conn.execute(sa.select(addresses.c.instance_uuid).distinct()).scalars().all()
        assert conn.execute(sa.select(sa.func.count()).select_from(passwords)).scalar_one() == 0
    assert left == [other.uuid]


def test_remove_of_unknown_instance_is_false(repo, new_instance):
    inst = repo.add(new_instance()).instance
    assert repo.remove("8e5f7b9c-1d2e-4f30-9a4b-5c6d7e8f9012") is False
    assert repo.remove(inst.uuid) is True
    assert repo.remove(inst.uuid) is False


def test_remove_accepts_a_unique_name(repo, new_instance):
    repo.add(new_instance(name="to-go"))
    assert repo.remove("to-go") is True
    assert repo.list() == []


def test_concurrent_updates_each_get_a_revision(repo, new_instance):
    inst = repo.add(new_instance()).instance
    start = threading.Barrier(6)
    results: list[int] = []

    def worker() -> None:
        start.wait()
        results.append(repo.update(inst).revision)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [2, 3, 4, 5, 6, 7]
    assert repo.ref_by_id(inst.uuid) == InstanceRef(inst.uuid, 7)


def test_concurrent_adds_of_one_address_store_exactly_one(repo, new_instance):
    contenders = [new_instance(fixed_ips=["10.9.6.5"], network_data=None) for _ in range(6)]
    start = threading.Barrier(len(contenders))
    outcomes: list[str] = []

    def worker(inst) -> None:
        start.wait()
        try:
            repo.add(inst)
            outcomes.append("added")
        except ConfigError as err:
            assert "10.9.6.5" in str(err)
            outcomes.append("rejected")

    threads = [threading.Thread(target=worker, args=(c,)) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["added"] + ["rejected"] * 5
    assert _count(repo, instances) == 1
    assert _count(repo, addresses) == 1


def test_key_order_survives_the_store(repo, new_instance):
    """public_keys order is data: key 0 is the one guests encrypt their password with."""
    from tests.conftest import ED25519_KEY, RSA_KEY

    inst = new_instance(
        public_keys={"zeta": RSA_KEY, "alpha": ED25519_KEY}, meta={"z": "1", "a": "2"}
    )
    repo.add(inst)
    stored = repo.get(inst.uuid).instance
    assert list(stored.public_keys) == ["zeta", "alpha"]
    assert list(stored.meta) == ["z", "a"]
