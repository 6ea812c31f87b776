"""The agent's INI file."""

from __future__ import annotations

import pytest

from wincloud.errors import ConfigError
from wincloud.hyperv.neutron.config import load_config, parse_config

GOOD = """
[DEFAULT]
transport_url = rabbit://x:y@controller:5672/
[AGENT]
physical_network_vswitch_mappings = physnet1:external,
    physnet-dc*:external
local_network_vswitch = private
polling_interval = 5
[SECURITYGROUP]
enable_security_group = false
[host:hv01]
address = hv01.example.net
user = svc
password_env = HV01_PW
cert_validation = /etc/ca.pem
[host:hv02]
address = fake:
neutron_host = compute-2
"""


def test_a_full_file():
    c = parse_config(GOOD)
    assert c.mappings.find("vlan", "physnet-dc3") == "external"
    assert c.mappings.local_vswitch == "private"
    assert (c.polling_interval_s, c.enable_security_group) == (5.0, False)
    assert [(h.name, h.neutron_host, h.is_fake) for h in c.hosts] == [
        ("hv01", "hv01", False),
        ("hv02", "compute-2", True),
    ]
    assert c.hosts[0].cert_validation == "/etc/ca.pem"


@pytest.mark.parametrize(
    "text",
    [
        "[AGENT]\nlocal_network_vswitch = x\n",  # no host
        "[host:a]\naddress = fake:\n",  # no vSwitch
        "[AGENT]\nphysical_network_vswitch_mappings = nocolon\n[host:a]\naddress = fake:\n",
        "[AGENT]\nlocal_network_vswitch = x\npolling_interval = soon\n[host:a]\naddress = fake:\n",
        "not an ini",
    ],
)
def test_bad_files_are_config_errors(text):
    with pytest.raises(ConfigError):
        parse_config(text)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "nope.ini")
    assert err.value.subject.endswith("nope.ini")
