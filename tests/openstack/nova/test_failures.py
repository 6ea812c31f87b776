"""What goes wrong: unusable images, Neutron's vif-plugged wait, a host without the vSwitch."""

from __future__ import annotations

import time

from tests.openstack.nova import base
from wincloud.hyperv.nova.driver import HyperVHostNotReady


class SpawnFailureTest(base.HyperVTestCase):
    def assert_nothing_left(self):
        self.assertEqual([], self.hyperv.list_vms())
        self.assertEqual([], self.instance_files())

    def test_an_image_that_is_no_virtual_disk_fails_and_leaves_nothing_on_the_host(self):
        server = self.boot(base.BROKEN_IMAGE, expected="ERROR")

        self.assertIn("fault", self.api.get_server(server["id"]))
        self.assert_nothing_left()
        self.assertFalse(self.hyperv.file_exists(f"C:\\Hyper-V\\_base\\{base.BROKEN_IMAGE}.vhdx"))

    def test_a_flavor_root_disk_smaller_than_the_image_fails_and_leaves_nothing(self):
        self.boot(disk=1, expected="ERROR")  # the VHDX image is 2 GiB

        self.assert_nothing_left()

    def test_an_unknown_hw_machine_type_fails_before_touching_the_host(self):
        self._add_image(
            base.SECURE_IMAGE,
            "vhdx",
            self.image_data(base.VHDX_IMAGE),
            {"hw_machine_type": "pc-q35-9.0"},
        )

        server = self.boot(base.SECURE_IMAGE, expected="ERROR")

        self.assertIn("hw_machine_type", self.api.get_server(server["id"])["fault"]["message"])
        self.assert_nothing_left()


class VifPluggedTest(base.HyperVTestCase):
    """NeutronFixture turns the wait off (vif_plugging_timeout=0); these tests turn it on and
    boot on a port Neutron reports DOWN, so Nova expects network-vif-plugged for it."""

    def setUp(self):
        super().setUp()
        self.port = self.neutron.create_port(
            {"port": {"network_id": self.neutron.network_1["id"]}}
        )["port"]
        self.neutron._ports[self.port["id"]]["status"] = "DOWN"

    def boot_on_down_port(self):
        body = self._build_server(
            image_uuid=base.VHDX_IMAGE,
            flavor_id=self.flavor(),
            networks=[{"port": self.port["id"]}],
        )
        return self.api.post_server({"server": body})

    def wait_for_nic(self):
        """Bounded: the NIC appears once the compute has registered the event it waits for."""
        for _ in range(600):
            for vm in self.hyperv.list_vms():
                if [n.name for n in self.hyperv.list_nics(vm.name)] == [self.port["id"]]:
                    return vm
            time.sleep(0.05)
        self.fail("the VM with the port's NIC never appeared")

    def test_spawn_waits_for_network_vif_plugged_and_then_starts_the_vm(self):
        self.flags(vif_plugging_timeout=60, vif_plugging_is_fatal=True)
        server = self.boot_on_down_port()
        vm = self.wait_for_nic()
        self.assertEqual("off", vm.state)  # not started before Neutron says the port is up

        self.api.create_server_external_events(
            [{"name": "network-vif-plugged", "server_uuid": server["id"], "tag": self.port["id"]}]
        )

        self._wait_for_state_change(server, "ACTIVE")
        self.assertEqual("running", self.hyperv.find_vm(vm.name).state)

    def test_no_network_vif_plugged_within_the_timeout_fails_and_leaves_nothing(self):
        self.flags(vif_plugging_timeout=1, vif_plugging_is_fatal=True)

        server = self._wait_for_state_change(self.boot_on_down_port(), "ERROR")

        self.assertIn("fault", self.api.get_server(server["id"]))
        self.assertEqual([], self.hyperv.list_vms())
        self.assertEqual([], self.instance_files())


class InitHostTest(base.HyperVTestCase):
    def test_a_compute_whose_host_lacks_the_vswitch_refuses_to_start_and_names_it(self):
        self.flags(group="hyperv", vswitch_name="tenant-external")

        error = self.assertRaises(HyperVHostNotReady, self._start_compute, "hv2")

        self.assertIn("tenant-external", str(error))
        self.assertIn("New-VMSwitch", str(error))
