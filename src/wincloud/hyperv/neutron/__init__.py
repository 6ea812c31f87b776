"""Neutron for Hyper-V vSwitches: the ML2 mechanism driver ``hyperv`` and an L2 agent that runs on
Linux and drives one or more Hyper-V hosts over PowerShell remoting.

The decisions live in modules that import nothing from Neutron (``mappings``, ``acl``, ``plan``,
``config``, ``agent``) and are tested in the main venv. The Neutron-facing modules are thin:
``mech_driver`` (the ML2 driver class) and ``rpc`` (oslo.messaging clients and endpoints); they
import Neutron and are tested inside Neutron's own harness (tests/openstack/neutron).
"""

from typing import Final

# Values networking-hyperv used; Neutron and Nova match on them (neutron-lib dropped the constants).
AGENT_TYPE: Final = "HyperV agent"
VIF_TYPE: Final = "hyperv"
AGENT_BINARY: Final = "wincloud-hyperv-network-agent"
NETWORK_TYPES: Final = ("local", "flat", "vlan")

__all__ = ["AGENT_BINARY", "AGENT_TYPE", "NETWORK_TYPES", "VIF_TYPE"]
