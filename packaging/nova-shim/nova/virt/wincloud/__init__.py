"""wincloud's Hyper-V compute driver, where Nova looks for drivers.

Nova imports ``nova.virt.<compute_driver>``, so ``compute_driver = wincloud.HyperVDriver`` in
nova.conf resolves to this module's ``HyperVDriver``. The driver itself lives in wincloud.
"""

from wincloud.hyperv.nova.driver import HyperVDriver

__all__ = ["HyperVDriver"]
