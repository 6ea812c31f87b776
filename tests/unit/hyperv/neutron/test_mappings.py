"""Physical network -> vSwitch mappings (wildcards, regular expressions, reporting)."""

from __future__ import annotations

import pytest

from wincloud.errors import ConfigError
from wincloud.hyperv.neutron.mappings import VswitchMappings, physnet_matches


def test_wildcards_become_anchored_patterns():
    m = VswitchMappings.parse(["physnet-dc*:external", "physnet1:vs1"])
    assert m.report() == {"physnet\\-dc.*$": "external", "physnet1$": "vs1"}


@pytest.mark.parametrize(
    ("physnet", "vswitch"),
    [("physnet1", "vs1"), ("physnet-dc7", "external"), ("physnet10", None), ("other", None)],
)
def test_find_picks_the_first_match(physnet, vswitch):
    m = VswitchMappings.parse(["physnet-dc*:external", "physnet1:vs1"])
    assert m.find("vlan", physnet) == vswitch


def test_regular_expressions_are_taken_as_written():
    m = VswitchMappings.parse(["re:phys(net)?[0-9]+:external"])
    assert m.find("flat", "phys42") == "external"
    assert m.find("flat", "physx") is None


def test_local_networks_use_the_local_vswitch():
    m = VswitchMappings.parse(["physnet1:vs1"], "private")
    assert m.find("local", None) == "private"
    assert m.vswitches() == ["vs1", "private"]


@pytest.mark.parametrize("entry", ["physnet1", ":vs1", "physnet1:", "re:([:vs"])
def test_bad_entries_are_config_errors(entry):
    with pytest.raises(ConfigError):
        VswitchMappings.parse([entry])


def test_reported_patterns_match_like_the_old_driver():
    reported = VswitchMappings.parse(["physnet*:external"]).report()
    assert physnet_matches("physnet3", reported)
    assert not physnet_matches("xphysnet3", reported)
    # patterns from an old networking-hyperv agent, including a broken one, are tolerated
    assert physnet_matches("dc1", ["([", "dc.*$"])
    assert not physnet_matches(None, ["dc.*$"])
