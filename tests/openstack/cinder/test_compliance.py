"""Cinder's driver interface compliance check (cinder.tests.compliance.test_volume_drivers runs it
for in-tree drivers only) applied to ours, plus what Cinder's tooling reads from a driver class."""

from __future__ import annotations

from cinder import interface
from cinder.interface import util, volume_driver
from cinder.tests.unit import test

from wincloud.hyperv.cinder import WindowsISCSIDriver


class DriverComplianceTest(test.TestCase):
    def test_the_driver_is_registered_by_the_volumedriver_decorator(self):
        self.assertIn(WindowsISCSIDriver, interface._volume_register)

    def test_volume_driver_core_compliance(self):
        # the same assertion as Cinder's own test_volume_driver_compliance
        self.assertTrue(issubclass(WindowsISCSIDriver, volume_driver.VolumeDriverCore))

    def test_every_core_method_is_ours_not_the_base_class_stub(self):
        # snapshot, clone, image and connection methods are implemented by the driver itself
        ours = vars(WindowsISCSIDriver)
        for name in (
            "create_volume",
            "delete_volume",
            "extend_volume",
            "create_snapshot",
            "delete_snapshot",
            "create_volume_from_snapshot",
            "create_cloned_volume",
            "copy_image_to_volume",
            "copy_volume_to_image",
            "create_export",
            "remove_export",
            "initialize_connection",
            "terminate_connection",
            "get_driver_options",
        ):
            self.assertIn(name, ours)

    def test_driver_info_lists_its_options_and_version(self):
        info = util.DriverInfo(WindowsISCSIDriver)
        self.assertEqual("wincloud.hyperv.cinder.driver.WindowsISCSIDriver", info.class_fqn)
        self.assertEqual("1.0.0", info.version)
        names = {opt.name for opt in info.driver_options}
        self.assertIn("windows_iscsi_lun_path", names)
        self.assertIn("hyperv_host", names)
        self.assertTrue(info.supported)
