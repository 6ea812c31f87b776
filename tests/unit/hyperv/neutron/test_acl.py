"""Security groups -> extended port ACLs, and the diff a rule change produces."""

from __future__ import annotations

from wincloud.hyperv.neutron.acl import DEFAULT_RULES, FIRST_SG_WEIGHT, diff, rules_for_port
from wincloud.hyperv.ports import AclRule

SG = "sg-web"
RULES = {
    SG: [
        {"direction": "egress", "ethertype": "IPv4", "stateful": True},
        {
            "direction": "ingress",
            "ethertype": "IPv4",
            "protocol": "tcp",
            "port_range_min": 22,
            "port_range_max": 22,
            "source_ip_prefix": "10.0.0.0/24",
        },
        {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp"},
        {
            "direction": "ingress",
            "ethertype": "IPv4",
            "protocol": "tcp",
            "port_range_min": 8000,
            "port_range_max": 8080,
            "remote_group_id": "sg-lb",
        },
    ]
}
MEMBERS = {"sg-lb": {"IPv4": [["192.0.2.10", "fa:16:3e:00:00:01"], ["192.0.2.11", None]]}}


def test_rules_translate_direction_protocol_ports_and_prefixes():
    got = rules_for_port([SG], RULES, MEMBERS)
    assert AclRule("outbound", 0, "allow", "ANY", "0.0.0.0/0", stateful=True) in got
    assert AclRule("inbound", 0, "allow", "TCP", "10.0.0.0/24", "22", stateful=True) in got
    assert AclRule("inbound", 0, "allow", "ICMPv4", "ANY") in got


def test_remote_groups_expand_to_one_rule_per_member():
    got = [r for r in rules_for_port([SG], RULES, MEMBERS) if r.local_port == "8000-8080"]
    assert sorted(r.remote_ip for r in got) == ["192.0.2.10/32", "192.0.2.11/32"]
    assert all(r.stateful for r in got)


def test_empty_remote_group_allows_nothing():
    got = rules_for_port([SG], RULES, {"sg-lb": {"IPv4": []}})
    assert not [r for r in got if r.local_port == "8000-8080"]


def test_a_fresh_port_gets_the_default_set_and_the_allows():
    wanted = rules_for_port([SG], RULES, MEMBERS)
    d = diff([], wanted)
    assert d.remove == ()
    assert set(DEFAULT_RULES) <= set(d.add)
    allows = [r for r in d.add if r.weight >= FIRST_SG_WEIGHT]
    assert len(allows) == len(wanted)
    assert len({(r.direction, r.weight) for r in d.add}) == len(d.add)


def _apply(current, d):
    now = {(r.direction, r.weight): r for r in current}
    for r in d.remove:
        del now[(r.direction, r.weight)]
    for r in d.add:
        assert (r.direction, r.weight) not in now
        now[(r.direction, r.weight)] = r
    return list(now.values())


def test_a_rule_change_touches_only_that_rule():
    port = _apply([], diff([], rules_for_port([SG], RULES, MEMBERS)))
    changed = {
        SG: [
            *RULES[SG][:1],
            {**RULES[SG][1], "port_range_min": 2222, "port_range_max": 2222},
            *RULES[SG][2:],
        ]
    }
    d = diff(port, rules_for_port([SG], changed, MEMBERS))
    assert [r.local_port for r in d.remove] == ["22"]
    assert [r.local_port for r in d.add] == ["2222"]
    port = _apply(port, d)
    assert diff(port, rules_for_port([SG], changed, MEMBERS)).empty


def test_port_security_off_removes_everything():
    port = _apply([], diff([], rules_for_port([SG], RULES, MEMBERS)))
    d = diff(port, [], port_security=False)
    assert d.add == () and len(d.remove) == len(port)


def test_foreign_rules_at_default_weights_are_replaced():
    stray = AclRule("inbound", 1, "allow")
    d = diff([stray], [])
    assert stray in d.remove and AclRule("inbound", 1, "deny") in d.add
