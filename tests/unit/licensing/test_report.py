"""Worked examples of the licence arithmetic, written from the shipped rules file.

Defaults used (rules.toml): 2-core packs; at least 8 cores per processor and 16 per server;
Standard covers 2 VMs per full licensing of the host's cores (stacking); Standard 133.625 and
Datacenter 769.375 per 2-core pack; cluster peak on; key sources meta/config are the customer's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

import pytest

from wincloud.errors import ConfigError
from wincloud.licensing import compute_report, load_rules, month_bounds
from wincloud.licensing.report import licensable_cores
from wincloud.licensing.timeline import build_lives
from wincloud.store.history import HistoryEvent
from wincloud.store.hosts import Host

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
AFTER = DEC + timedelta(days=2)
RULES = load_rules()


def test_the_examples_assume_the_shipped_defaults():
    assert (RULES.pack_size, RULES.min_cores_per_processor, RULES.min_cores_per_server) == (
        2,
        8,
        16,
    )
    assert RULES.standard_vms_per_licence == 2
    assert (RULES.standard_price_per_pack, RULES.datacenter_price_per_pack) == (133.625, 769.375)
    assert RULES.cluster_peak is True
    assert RULES.customer_key_sources == {"meta", "config"}
    assert all(RULES.sources[key] for key in RULES.sources)  # every rule says where it is from


class History:
    """Builds history events the way the store's triggers write them."""

    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []
        self.seq = count(1)

    def _add(self, uuid, event, at, **fields):
        self.events.append(HistoryEvent(next(self.seq), uuid, event, at, **fields))

    def create(self, uuid, at, host, *, project="p1", vcpus=2, os_type=None, flavor="m1"):
        self._add(
            uuid,
            "created",
            at,
            project_id=project,
            host=host,
            vcpus=vcpus,
            os_type=os_type,
            flavor=flavor,
        )

    def move(self, uuid, at, host, *, project="p1", vcpus=2, flavor="m1"):
        self._add(uuid, "moved", at, project_id=project, host=host, vcpus=vcpus, flavor=flavor)

    def delete(self, uuid, at):
        self._add(uuid, "deleted", at)

    def report(
        self,
        uuid,
        at,
        edition="ServerStandard",
        key_source="kms-client",
        activation="activated",
        status="licensed",
    ):
        self._add(
            uuid,
            "activation",
            at,
            edition=edition,
            key_source=key_source,
            activation=activation,
            license_status=status,
        )

    def windows(self, uuid, host, *, start=NOV, project="p1", vcpus=2, **report):
        self.create(uuid, start, host, project=project, vcpus=vcpus)
        self.report(uuid, start + timedelta(minutes=5), **report)

    def run(self, hosts, rules=RULES, month="2026-11", now=AFTER):
        lives = build_lives(sorted(self.events, key=lambda e: (e.instance_uuid, e.seq)))
        return compute_report(lives, hosts, rules, month, generated_at=now)


def host_line(report, name):
    (line,) = [h for h in report.hosts if h.hostname == name]
    return line


# -- core arithmetic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sockets", "cores", "expected"),
    [
        (1, 4, 16),  # 4 -> 8 per processor -> 16 per server
        (2, 6, 16),  # 12 -> 2 x 8 = 16
        (2, 12, 24),  # 24 physical cores, above both minimums
        (4, 4, 32),  # 4 processors x 8 minimum
        (1, 20, 20),
    ],
)
def test_licensable_cores_apply_both_minimums(sockets, cores, expected):
    assert licensable_cores(Host("h", sockets, cores), RULES) == expected


def test_three_vms_on_a_small_host_stack_standard_twice_and_standard_is_cheaper():
    h = History()
    for n in range(3):
        h.windows(f"vm{n}", "hv1")
    report = h.run([Host("hv1", 2, 6)])
    line = host_line(report, "hv1")
    # 16 licensable cores = 8 packs; 3 VMs = 2 Standard licensings = 16 packs
    assert (line.licensable_cores, line.peak_vms) == (16, 3)
    assert (line.standard_packs, line.datacenter_packs) == (16, 8)
    assert (line.standard_cost, line.datacenter_cost) == (2138.0, 6155.0)
    assert line.recommended == "Standard"


def test_thirteen_vms_on_a_big_host_make_datacenter_cheaper():
    h = History()
    for n in range(13):
        h.windows(f"vm{n:02}", "hv2")
    line = host_line(h.run([Host("hv2", 2, 20)]), "hv2")
    # 40 cores = 20 packs; Standard: 20 x ceil(13/2) = 140 packs = 18707.5; Datacenter 15387.5
    assert (line.standard_packs, line.datacenter_packs) == (140, 20)
    assert (line.standard_cost, line.datacenter_cost) == (18707.5, 15387.5)
    assert line.recommended == "Datacenter"


def test_peak_is_concurrent_vms_not_vms_seen_in_the_month():
    h = History()
    h.windows("a", "hv1")
    h.delete("a", NOV + timedelta(days=10))
    h.windows("b", "hv1", start=NOV + timedelta(days=10))  # starts as a ends: never together
    h.windows("c", "hv1", start=NOV + timedelta(days=20))
    line = host_line(h.run([Host("hv1", 1, 8)]), "hv1")
    assert (line.instances, line.peak_vms) == (3, 2)


# -- moves, deletes, re-creates --------------------------------------------------------------


def moved_mid_month(rules=RULES):
    h = History()
    h.windows("a", "hv3")
    h.move("a", NOV + timedelta(days=15), "hv4")
    h.windows("b", "hv4")
    hosts = [Host("hv3", 1, 16, "c1"), Host("hv4", 1, 16, "c1")]
    return h.run(hosts, rules=rules)


def test_a_move_within_a_cluster_counts_each_host_at_the_cluster_peak():
    report = moved_mid_month()
    hv3, hv4 = host_line(report, "hv3"), host_line(report, "hv4")
    assert (hv3.peak_vms, hv4.peak_vms) == (1, 2)
    assert (hv3.counted_vms, hv4.counted_vms) == (2, 2)
    (usage,) = report.projects
    assert usage.instances == 2
    assert usage.instance_hours == 2 * 30 * 24  # the move loses and doubles nothing
    assert usage.vcpu_hours == 2 * 2 * 30 * 24
    assert usage.peak_concurrent == 2


def test_without_cluster_peak_each_host_counts_its_own_peak(tmp_path):
    override = tmp_path / "rules.toml"
    override.write_text('[cluster_peak]\nvalue = false\nsource = "our contract, 4.2"\n')
    rules = load_rules(override)
    report = moved_mid_month(rules)
    assert (host_line(report, "hv3").counted_vms, host_line(report, "hv4").counted_vms) == (1, 2)
    assert rules.sources["cluster_peak"] == "our contract, 4.2"
    assert rules.files[-1] == str(override)


def test_delete_and_recreate_is_one_instance_with_both_lives_counted():
    h = History()
    h.windows("a", "hv1")
    h.delete("a", NOV + timedelta(days=9))
    h.create("a", NOV + timedelta(days=19), "hv2")
    report = h.run([Host("hv1", 1, 8), Host("hv2", 1, 8)])
    (usage,) = report.projects
    assert usage.instances == 1
    assert usage.instance_hours == (9 + 11) * 24
    assert (host_line(report, "hv1").peak_vms, host_line(report, "hv2").peak_vms) == (1, 1)


def test_life_before_and_after_the_month_is_cut_at_its_edges():
    h = History()
    h.windows("a", "hv1", start=NOV - timedelta(days=40))
    h.delete("a", NOV + timedelta(days=1))
    h.windows("gone", "hv1", start=NOV - timedelta(days=5))
    h.delete("gone", NOV - timedelta(days=1))
    report = h.run([Host("hv1", 1, 8)])
    (usage,) = report.projects
    assert (usage.instances, usage.instance_hours) == (1, 24)


def test_a_project_change_mid_month_splits_the_chargeback():
    h = History()
    h.windows("a", "hv1", project="p1")
    h._add("a", "updated", NOV + timedelta(days=10), project_id="p2", host="hv1", vcpus=2)
    report = h.run([])
    usage = {u.project_id: (u.instances, u.instance_hours) for u in report.projects}
    assert usage == {"p1": (1, 240), "p2": (1, 480)}
    assert report.totals["windows_server_instances"] == 1
    assert report.totals["instance_hours"] == 720


def test_a_month_in_progress_counts_up_to_now():
    h = History()
    h.windows("a", "hv1")
    (usage,) = h.run([Host("hv1", 1, 8)], now=NOV + timedelta(days=3)).projects
    assert usage.instance_hours == 72


# -- who counts ------------------------------------------------------------------------------


def test_customer_keys_and_desktops_are_listed_apart_and_not_counted():
    h = History()
    h.windows("own", "hv1")
    h.windows("byol", "hv1", key_source="meta")
    h.windows("cfg", "hv1", key_source="config")
    h.windows("desk", "hv1", edition="Professional", key_source="kms-client")
    h.windows("multi", "hv1", edition="ServerRdsh")
    h.create("linux", NOV, "hv1")  # no report, no os_type: not Windows
    report = h.run([Host("hv1", 1, 8)])
    assert host_line(report, "hv1").peak_vms == 1
    assert [line.uuid for line in report.customer_key] == ["byol", "cfg"]
    assert [line.uuid for line in report.desktop] == ["desk", "multi"]
    assert report.customer_key[0].instance_hours == 720
    assert [(u.edition, u.instances) for u in report.projects] == [("Standard", 1)]
    assert report.totals["customer_key_instances"] == 2
    assert report.totals["desktop_instances"] == 2


def test_never_reported_windows_instances_count_as_unknown_edition_and_are_flagged():
    h = History()
    h.create("silent", NOV, "hv1", os_type="windows")
    report = h.run([Host("hv1", 1, 8)])
    assert host_line(report, "hv1").peak_vms == 1  # counted: the conservative side
    assert [(u.edition, u.instances) for u in report.projects] == [("unknown", 1)]
    assert [(f.uuid, f.flag) for f in report.flags] == [("silent", "no-activation-report")]


def test_failed_and_unlicensed_activations_are_flagged():
    h = History()
    h.windows("bad", "hv1", activation="failed", status="oob-grace")
    h.windows("grace", "hv1", activation="not-attempted", status="oob-grace")
    h.windows("good", "hv1")
    flags = [(f.uuid, f.flag, f.detail) for f in h.run([Host("hv1", 1, 8)]).flags]
    assert flags == [
        ("bad", "activation-failed", "license_status=oob-grace"),
        ("grace", "not-licensed", "license_status=oob-grace"),
    ]


def test_editions_are_named_by_the_rules_and_core_editions_join_theirs():
    h = History()
    h.windows("a", "hv1", edition="ServerDatacenterCor")
    h.windows("b", "hv1", edition="ServerDatacenter")
    h.windows("c", "hv1", edition="ServerTurbine")
    (usage,) = h.run([Host("hv1", 1, 8)]).projects
    assert (usage.edition, usage.instances, usage.peak_concurrent) == ("Datacenter", 3, 3)


def test_hosts_outside_the_inventory_and_vms_without_a_host_are_shown_not_priced():
    h = History()
    h.windows("a", "mystery")
    h.windows("b", None)
    report = h.run([])
    line = host_line(report, "mystery")
    assert (line.in_inventory, line.peak_vms, line.standard_packs) == (False, 1, None)
    assert report.totals["hosts_not_in_inventory"] == 1
    assert ("b", "no-host") in [(f.uuid, f.flag) for f in report.flags]


def test_a_standard_host_over_its_licensed_vms_is_marked():
    h = History()
    for n in range(3):
        h.windows(f"vm{n}", "hv1")
    host = Host("hv1", 1, 16, licence="standard", licensed_vms=2)
    report = h.run([host])
    assert host_line(report, "hv1").over_licence is True
    assert report.totals["hosts_over_standard_licence"] == 1


def test_flavor_vcpus_from_the_rules_fill_records_without_vcpus(tmp_path):
    override = tmp_path / "rules.toml"
    override.write_text('[flavor_vcpus]\nvalue = { "m1" = 4 }\n')
    h = History()
    h.create("a", NOV, "hv1", vcpus=None, os_type="windows")
    (usage,) = h.run([Host("hv1", 1, 8)], rules=load_rules(override)).projects
    assert usage.vcpu_hours == 4 * 720
    (no_rules,) = h.run([Host("hv1", 1, 8)]).projects
    assert no_rules.vcpu_hours == 0


def test_totals_add_up_the_lines():
    h = History()
    for n in range(3):
        h.windows(f"s{n}", "hv1", project="p1")
    for n in range(13):
        h.windows(f"d{n:02}", "hv2", project="p2", vcpus=4)
    report = h.run([Host("hv1", 2, 6), Host("hv2", 2, 20)])
    t = report.totals
    assert t["recommended_standard_packs"] == 16
    assert t["recommended_datacenter_packs"] == 20
    assert t["recommended_cost"] == 2138.0 + 15387.5
    assert t["windows_server_instances"] == 16
    assert t["vcpu_hours"] == (3 * 2 + 13 * 4) * 720


# -- rules and months --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[pack_sizes]\nvalue = 2\n", "unknown licence rule"),
        ("[pack_size]\nvalue = 0\n", "pack_size must be"),
        ("[pack_size]\nvalue = true\n", "pack_size must be"),
        ("[cluster_peak]\nvalue = 1\n", "cluster_peak must be"),
        ("pack_size = 2\n", "must be a table"),
        ("[pack_size\n", "not valid TOML"),
    ],
)
def test_bad_rule_files_are_config_errors(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_rules(path)


def test_months_are_calendar_months_in_utc():
    assert month_bounds("2026-12") == (DEC, datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(ConfigError):
        month_bounds("2026-13")
