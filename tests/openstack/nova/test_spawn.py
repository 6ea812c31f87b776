"""Boot through Nova's REST API onto the fake Hyper-V host."""

from __future__ import annotations

from tests.openstack.nova import base


class SpawnTest(base.HyperVTestCase):
    def test_server_boots_active_as_a_generation_2_vm_with_flavor_cpu_and_memory(self):
        server = self.boot(vcpus=2, ram=2048, disk=20)
        vm = self.vm_of(server)
        self.assertEqual(
            ("running", 2, 2, 2048), (vm.state, vm.generation, vm.cpu_count, vm.memory_mb)
        )
