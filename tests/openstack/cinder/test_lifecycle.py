"""A volume's whole life through Cinder's REST API, with the Windows host's state checked after
each step: create, extend, snapshot, volume from snapshot, clone, attach (reserve, initialize
connection, attach), detach (terminate connection), delete; capacity reported to the scheduler."""

from __future__ import annotations

from tests.openstack.cinder.base import GIB, INITIATOR, VOLUME_DIR, WindowsIscsiTestCase

CONNECTOR = {"initiator": INITIATOR, "ip": "192.0.2.21", "host": "hv01", "multipath": False}


class VolumeLifecycleTest(WindowsIscsiTestCase):
    def test_create_extend_and_delete(self):
        volume = self.create_volume(1)
        disk = self.fake.get_iscsi_disk(self.disk_path(volume["id"]))
        self.assertIsNotNone(disk)
        self.assertEqual(GIB, disk.size_bytes)

        self.action(volume["id"], {"os-extend": {"new_size": 2}})
        self.wait_volume(volume["id"])
        self.assertEqual(2 * GIB, self.fake.get_vhd(self.disk_path(volume["id"])).size_bytes)

        self.api.delete_volume(volume["id"])
        self._poll_volume_while(volume["id"], ["deleting"], max_retries=30)
        self.assertIsNone(self.fake.get_iscsi_disk(self.disk_path(volume["id"])))
        self.assertFalse(self.fake.file_exists(self.disk_path(volume["id"])))

    def test_snapshot_volume_from_snapshot_and_clone(self):
        source = self.create_volume(1)
        snap = self.api.post_snapshot(
            {"snapshot": {"volume_id": source["id"], "name": "before-upgrade"}}
        )
        found = self._poll_snapshot_while(snap["id"], ["creating"], max_retries=30)
        self.assertEqual("available", found["status"])
        snaps = self.fake.list_iscsi_snapshots(self.disk_path(source["id"]))
        self.assertEqual([f"snapshot-{snap['id']}"], [s.description for s in snaps])

        restored = self.create_volume(3, snapshot_id=snap["id"])
        disk = self.fake.get_iscsi_disk(self.disk_path(restored["id"]))
        self.assertEqual(3 * GIB, disk.size_bytes)

        clone = self.create_volume(2, source_volid=source["id"])
        self.assertEqual(2 * GIB, self.fake.get_iscsi_disk(self.disk_path(clone["id"])).size_bytes)
        # the clone's temporary snapshot is gone; the user's snapshot stays
        self.assertEqual(1, len(self.fake.list_iscsi_snapshots()))

        self.api.delete_snapshot(snap["id"])
        self._poll_snapshot_while(snap["id"], ["deleting"], max_retries=30)
        self.assertEqual([], self.fake.list_iscsi_snapshots())
        for volume in (clone, restored, source):
            self.api.delete_volume(volume["id"])
            self._poll_volume_while(volume["id"], ["deleting"], max_retries=30)
        self.assertEqual([], self.fake.list_iscsi_disks())
        self.assertEqual([], self.fake.list_dir(VOLUME_DIR))

    def test_attach_gives_working_connection_info_and_detach_revokes_the_initiator(self):
        volume = self.create_volume(1)
        vid = volume["id"]
        self.action(vid, {"os-reserve": None})
        info = self.action(vid, {"os-initialize_connection": {"connector": CONNECTOR}})
        conn = info["connection_info"]
        self.assertEqual("iscsi", conn["driver_volume_type"])
        data = conn["data"]
        target = self.fake.get_iscsi_target(f"volume-{vid}")
        self.assertIsNotNone(target)
        self.assertEqual(target.iqn, data["target_iqn"])
        self.assertEqual("127.0.0.1:3260", data["target_portal"])
        self.assertEqual(0, data["target_lun"])
        self.assertEqual(0, target.lun_of(self.disk_path(vid)))
        self.assertEqual((f"IQN:{INITIATOR}",), target.initiator_ids)
        self.assertEqual("CHAP", data["auth_method"])
        self.assertTrue(target.chap_enabled)
        self.assertEqual(target.chap_user, data["auth_username"])
        self.assertTrue(12 <= len(data["auth_password"]) <= 16)

        self.action(
            vid,
            {
                "os-attach": {
                    "instance_uuid": "3f6a4d2e-8d4b-4b8e-9c52-1d7f0a9b2c11",
                    "mountpoint": "/dev/sdb",
                    "mode": "rw",
                }
            },
        )
        self.assertEqual("in-use", self.api.get_volume(vid)["status"])

        self.action(vid, {"os-begin_detaching": None})
        self.action(vid, {"os-terminate_connection": {"connector": CONNECTOR}})
        self.assertEqual((), self.fake.get_iscsi_target(f"volume-{vid}").initiator_ids)
        self.action(vid, {"os-detach": {}})
        self.wait_volume(vid)
        # the last detach removes the export: no target, the disk stays
        self.assertIsNone(self.fake.get_iscsi_target(f"volume-{vid}"))
        self.assertIsNotNone(self.fake.get_iscsi_disk(self.disk_path(vid)))

        self.api.delete_volume(vid)
        self._poll_volume_while(vid, ["deleting"], max_retries=30)
        self.assertIsNone(self.fake.get_iscsi_target(f"volume-{vid}"))
        self.assertEqual([], self.fake.list_iscsi_disks())

    def test_capacity_reaches_the_scheduler(self):
        # (GET /scheduler-stats/get_pools?detail=True fails inside Cinder 29 itself: its view
        # calls .copy() on a ReadOnlyDict; the scheduler's host manager is read directly)
        from cinder import context

        manager = self.scheduler.manager.driver.host_manager
        pools = manager.get_pools(context.get_admin_context())
        self.assertEqual(1, len(pools), pools)
        caps = pools[0]["capabilities"]
        self.assertIn("iSCSI", caps["storage_protocol"])  # Cinder lists both spellings
        self.assertEqual("windows-iscsi", caps["volume_backend_name"])
        self.assertEqual(self.fake.host_info().disk_gb_total, caps["total_capacity_gb"])
