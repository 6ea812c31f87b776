"""The trunk service plugin's driver for ``hyperv`` ports (neutron-server side).

Without a driver that names the ``hyperv`` VIF type, Neutron refuses trunks on our ports. This
one accepts VLAN sub-ports on ports bound by the ``hyperv`` mechanism driver, also on a port
already bound (Hyper-V switches a running VM's port to trunk mode), and tells the trunk plugin an
agent ("HyperV agent") does the wiring, so trunk changes are pushed to agents over RPC.
Created by ``HypervMechanismDriver.initialize``; it registers itself when the trunk plugin starts.
"""

from __future__ import annotations

from neutron.services.trunk.drivers import base
from neutron_lib.services.trunk import constants as trunk_consts
from oslo_config import cfg

from wincloud.hyperv.neutron import AGENT_TYPE, VIF_TYPE

NAME = "hyperv"


class HypervTrunkDriver(base.DriverBase):  # type: ignore[misc]
    @property
    def is_loaded(self) -> bool:
        try:
            return NAME in cfg.CONF.ml2.mechanism_drivers
        except cfg.NoSuchOptError:
            return False


def create() -> HypervTrunkDriver:
    return HypervTrunkDriver(
        NAME,
        (VIF_TYPE,),
        (trunk_consts.SEGMENTATION_TYPE_VLAN,),
        AGENT_TYPE,
        can_trunk_bound_port=True,
    )
