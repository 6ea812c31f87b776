"""Instance lifecycle history (triggers of migration 0004) and the host inventory, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from wincloud.errors import ConfigError, NotFound
from wincloud.store import SqlInstanceRepo
from wincloud.store.engine import begin_write
from wincloud.store.hosts import Host, parse_host
from wincloud.store.tables import instance_history

T0 = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clocked(repo, db_url):
    clock = Clock()
    return SqlInstanceRepo(repo.engine, db_url, clock=clock), clock


def _events(repo, uuid):
    return [(e.event, e.host, e.flavor, e.vcpus) for e in repo.history.for_instance(uuid)]


def test_create_move_resize_delete_are_recorded_in_order(clocked, make_instance):
    repo, clock = clocked
    inst = make_instance(host="hv1", vcpus=2, instance_type="m1.small", meta={"os_type": "windows"})
    repo.add(inst)
    clock.now = T0 + timedelta(hours=5)
    repo.update(inst.model_copy(update={"host": "hv2"}))
    clock.now = T0 + timedelta(hours=7)
    repo.update(inst.model_copy(update={"host": "hv2", "vcpus": 4, "instance_type": "m1.large"}))
    before = datetime.now(UTC) - timedelta(seconds=1)
    repo.remove(inst.uuid)
    after = datetime.now(UTC) + timedelta(seconds=1)
    events = repo.history.for_instance(inst.uuid)
    assert [(e.event, e.host, e.flavor, e.vcpus) for e in events] == [
        ("created", "hv1", "m1.small", 2),
        ("moved", "hv2", "m1.small", 2),
        ("updated", "hv2", "m1.large", 4),
        ("deleted", "hv2", "m1.large", 4),
    ]
    assert [e.at for e in events[:3]] == [T0, T0 + timedelta(hours=5), T0 + timedelta(hours=7)]
    assert before <= events[3].at <= after  # the database's clock, not the repo's
    assert events[0].os_type == "windows"
    assert events[0].project_id == inst.project_id


def test_an_update_that_changes_nothing_licensing_relevant_adds_no_event(clocked, make_instance):
    repo, _ = clocked
    inst = make_instance(host="hv1")
    repo.add(inst)
    repo.update(inst.model_copy(update={"user_data": b"#ps1\nother\n"}))
    assert [e[0] for e in _events(repo, inst.uuid)] == ["created"]


def test_activation_reports_are_recorded_and_survive_the_instance(clocked, make_instance):
    repo, clock = clocked
    inst = make_instance(host="hv1")
    repo.add(inst)
    clock.now = T0 + timedelta(minutes=20)
    report = {
        "version": 1,
        "edition": "ServerStandard",
        "build": 20348,
        "key_source": "meta",
        "activation": "activated",
        "license_status": "licensed",
    }
    assert repo.reports.store(inst.uuid, "activation", report)
    repo.remove(inst.uuid)
    assert repo.reports.get(inst.uuid, "activation") is None  # gone with the instance
    events = repo.history.for_instance(inst.uuid)
    act = [e for e in events if e.event == "activation"]
    assert len(act) == 1
    assert (act[0].edition, act[0].build, act[0].key_source, act[0].activation) == (
        "ServerStandard",
        20348,
        "meta",
        "activated",
    )
    assert act[0].at == T0 + timedelta(minutes=20)


def test_an_oversized_build_number_is_kept_as_unknown(clocked, make_instance):
    repo, _ = clocked
    inst = make_instance()
    repo.add(inst)
    repo.reports.store(inst.uuid, "activation", {"version": 1, "build": 10**12})
    (act,) = [e for e in repo.history.for_instance(inst.uuid) if e.event == "activation"]
    assert act.build is None


@pytest.mark.parametrize("statement", ["update", "delete"])
def test_history_rows_cannot_be_rewritten(repo, make_instance, statement):
    inst = make_instance()
    repo.add(inst)
    table = instance_history
    change = (
        sa.update(table).values(host="elsewhere") if statement == "update" else sa.delete(table)
    )
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with begin_write(repo.engine) as conn:
            conn.execute(change)
    assert [e[0] for e in _events(repo, inst.uuid)] == ["created"]


def test_delete_and_recreate_keeps_both_lives(clocked, make_instance):
    repo, clock = clocked
    inst = make_instance(host="hv1")
    repo.add(inst)
    repo.remove(inst.uuid)
    clock.now = datetime.now(UTC) + timedelta(minutes=1)
    repo.add(inst.model_copy(update={"host": "hv3"}))
    assert [(e[0], e[1]) for e in _events(repo, inst.uuid)] == [
        ("created", "hv1"),
        ("deleted", "hv1"),
        ("created", "hv3"),
    ]


def test_until_returns_events_before_the_end_grouped_by_instance(clocked, make_instance):
    repo, clock = clocked
    a, b = make_instance(host="hv1"), make_instance(host="hv2", fixed_ips=[])
    repo.add(a)
    clock.now = T0 + timedelta(days=40)
    repo.add(b)
    got = repo.history.until(T0 + timedelta(days=1))
    assert [(e.instance_uuid, e.event) for e in got] == [(a.uuid, "created")]


# -- host inventory ------------------------------------------------------------------------


def test_hosts_add_list_update_remove(repo):
    host = parse_host({"hostname": "hv1", "sockets": 2, "cores_per_socket": 12, "cluster": "c1"})
    repo.hosts.add(host)
    assert repo.hosts.list() == [host]
    changed = Host("hv1", 2, 16, "c1", "hyperv", "standard", 4)
    repo.hosts.replace(changed)
    assert repo.hosts.find("hv1") == changed
    repo.hosts.remove("hv1")
    assert repo.hosts.list() == []


def test_adding_a_host_twice_is_a_config_error(repo):
    repo.hosts.add(Host("hv1", 1, 8))
    with pytest.raises(ConfigError, match="already"):
        repo.hosts.add(Host("hv1", 2, 8))


def test_updating_or_removing_an_unknown_host_is_not_found(repo):
    with pytest.raises(NotFound):
        repo.hosts.replace(Host("nope", 1, 8))
    with pytest.raises(NotFound):
        repo.hosts.remove("nope")


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"hostname": "hv1", "sockets": 0, "cores_per_socket": 8}, "sockets"),
        ({"hostname": "hv1", "sockets": True, "cores_per_socket": 8}, "sockets"),
        ({"hostname": "hv1", "sockets": 1, "cores_per_socket": "8"}, "cores_per_socket"),
        ({"hostname": "-x", "sockets": 1, "cores_per_socket": 8}, "hostname"),
        ({"hostname": "hv1", "sockets": 1, "cores_per_socket": 8, "licence": "gold"}, "licence"),
        ({"hostname": "hv1", "sockets": 1, "cores_per_socket": 8, "cpus": 3}, "cpus"),
        ({"hostname": "hv1", "sockets": 1, "cores_per_socket": 8, "hypervisor": "x"}, "hypervisor"),
    ],
)
def test_bad_host_documents_name_the_field(doc, field):
    with pytest.raises(ConfigError, match=f"invalid host, {field}:"):
        parse_host(doc)


def test_upgrading_a_store_from_0003_backfills_existing_instances_and_reports(
    clocked, make_instance, db_url
):
    from alembic import command

    from wincloud.store.migrate import alembic_config, upgrade_to_head

    repo, _ = clocked
    inst = make_instance(host="hv1", vcpus=2)
    repo.add(inst)
    repo.reports.store(inst.uuid, "activation", {"version": 1, "edition": "ServerStandard"})
    with begin_write(repo.engine) as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert upgrade_to_head(repo.engine, db_url) is True
    events = repo.history.for_instance(inst.uuid)
    assert [(e.event, e.host, e.vcpus, e.edition) for e in events] == [
        ("created", "hv1", 2, None),
        ("activation", None, None, "ServerStandard"),
    ]
    assert events[0].at == T0
    assert repo.reports.get(inst.uuid, "activation") is not None  # reports kept


def test_around_keeps_only_the_state_before_the_period_and_its_events(repo):
    from wincloud.licensing import compute_report, load_rules
    from wincloud.licensing.timeline import build_lives

    oct_, nov, dec = (datetime(2026, m, 1, tzinfo=UTC) for m in (10, 11, 12))
    day = timedelta(days=1)
    rows = [
        ("a", "created", oct_, "hv1"),
        ("a", "activation", oct_ + day, None),
        ("a", "moved", oct_ + 2 * day, "hv2"),
        ("a", "activation", oct_ + 3 * day, None),
        ("a", "moved", nov + 5 * day, "hv3"),
        ("b", "created", oct_, "hv1"),
        ("b", "deleted", oct_ + day, "hv1"),
        ("c", "created", oct_, "hv1"),
        ("c", "deleted", oct_ + day, "hv1"),
        ("c", "created", nov + day, "hv2"),
        ("d", "created", nov + 2 * day, "hv1"),
        ("d", "deleted", dec + day, "hv1"),
    ]
    with begin_write(repo.engine) as conn:
        for uuid, event, at, host in rows:
            values = {"instance_uuid": uuid, "event": event, "at": at, "host": host}
            if event != "activation":
                values |= {"project_id": "p", "os_type": "windows", "vcpus": 1}
            conn.execute(sa.insert(instance_history).values(**values))
    got = repo.history.around(nov, dec)
    assert [(e.instance_uuid, e.event, e.at) for e in got] == [
        ("a", "moved", oct_ + 2 * day),
        ("a", "activation", oct_ + 3 * day),
        ("a", "moved", nov + 5 * day),
        ("c", "created", nov + day),
        ("d", "created", nov + 2 * day),
    ]
    # the report from the reduced events equals the one from the whole history
    rules, now = load_rules(), dec + 2 * day

    def report(events):
        doc = compute_report(build_lives(events), [], rules, "2026-11", generated_at=now)
        return doc.to_document()

    assert report(got) == report(repo.history.until(dec))
