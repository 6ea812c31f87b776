"""Server actions through Nova's REST API, checked on the fake Hyper-V host."""

from __future__ import annotations

from tests.openstack.nova import base


class LifecycleTest(base.HyperVTestCase):
    def setUp(self):
        super().setUp()
        self.server = self.boot()
        self.vm_name = self.vm_of(self.server).name

    def state(self):
        return self.hyperv.find_vm(self.vm_name).state

    def test_stop_turns_the_vm_off_and_start_runs_it_again(self):
        self._stop_server(self.server)
        self.assertEqual("off", self.state())

        self._start_server(self.server)
        self.assertEqual("running", self.state())

    def test_stop_turns_off_a_guest_that_ignores_the_shutdown_request(self):
        self.hyperv.set_guest_shutdown(self.vm_name, responds=False)

        self._stop_server(self.server)

        self.assertEqual("off", self.state())

    def test_soft_and_hard_reboot_leave_the_vm_running(self):
        self.hyperv.set_guest_shutdown(self.vm_name, responds=False)
        self._reboot_server(self.server, hard=False)
        self.assertEqual("running", self.state())

        self._reboot_server(self.server, hard=True)
        self.assertEqual("running", self.state())

    def test_hard_reboot_starts_a_vm_that_was_turned_off_behind_novas_back(self):
        self.hyperv.set_vm_state(self.vm_name, "stop")

        self._reboot_server(self.server, hard=True)

        self.assertEqual("running", self.state())

    def test_pause_and_unpause(self):
        self.api.post_server_action(self.server["id"], {"pause": None})
        self._wait_for_state_change(self.server, "PAUSED")
        self.assertEqual("paused", self.state())

        self.api.post_server_action(self.server["id"], {"unpause": None})
        self._wait_for_state_change(self.server, "ACTIVE")
        self.assertEqual("running", self.state())

    def test_suspend_saves_the_vm_and_resume_runs_it(self):
        self.api.post_server_action(self.server["id"], {"suspend": None})
        self._wait_for_state_change(self.server, "SUSPENDED")
        self.assertEqual("saved", self.state())

        self.api.post_server_action(self.server["id"], {"resume": None})
        self._wait_for_state_change(self.server, "ACTIVE")
        self.assertEqual("running", self.state())

    def test_console_output_is_what_the_guest_wrote_to_com1(self):
        self.hyperv.guest_write_console(self.vm_name, b"Windows Boot Manager\r\nSAC>\r\n")

        output = self.api.post_server_action(
            self.server["id"], {"os-getConsoleOutput": {"length": 10}}
        )

        self.assertIn("SAC>", output["output"])
        self.assertIn("Windows Boot Manager", output["output"])

    def test_snapshot_uploads_a_standalone_vhdx_and_leaves_no_checkpoint(self):
        image = self.snapshot(self.server, "snap-1")

        self.assertEqual(("vhdx", "bare"), (image["disk_format"], image["container_format"]))
        data = self.image_data(image["id"])
        self.assertEqual(b"vhdxfile", data[:8])
        self.assertEqual(len(self.image_data(base.VHDX_IMAGE)), len(data))
        self.assertEqual([], self.hyperv.list_checkpoints(self.vm_name))
        self.assertFalse(self.hyperv.file_exists(f"C:\\Hyper-V\\{self.vm_name}\\snapshot"))
        self.assertEqual("running", self.state())

    def test_delete_removes_the_vm_and_its_files_and_keeps_the_cached_base(self):
        self._delete_server(self.server)

        self.assertIsNone(self.hyperv.find_vm(self.vm_name))
        self.assertEqual([], self.instance_files())
        self.assertTrue(self.hyperv.file_exists(f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx"))

    def test_image_cache_pass_removes_bases_no_server_uses(self):
        self.flags(group="image_cache", remove_unused_original_minimum_age_seconds=0)
        self._add_image(base.SECURE_IMAGE, "vhdx", self.image_data(base.VHDX_IMAGE), {})
        other = self.boot(base.SECURE_IMAGE)
        self._delete_server(other)

        self.run_image_cache_pass()

        self.assertFalse(self.hyperv.file_exists(f"C:\\Hyper-V\\_base\\{base.SECURE_IMAGE}.vhdx"))
        self.assertTrue(self.hyperv.file_exists(f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx"))
