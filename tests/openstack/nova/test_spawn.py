"""Boot through Nova's REST API onto the fake Hyper-V host and look at what the host holds."""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

from tests.openstack.nova import base
from wincloud.configdrive import read_drive
from wincloud.hyperv.host import VhdType


class SpawnTest(base.HyperVTestCase):
    def test_server_is_a_running_generation_2_vm_with_the_flavor_cpu_and_memory(self):
        server = self.boot(vcpus=2, ram=2048, disk=20)

        vm = self.vm_of(server)
        self.assertEqual("running", vm.state)
        self.assertEqual((2, 2, 2048), (vm.generation, vm.cpu_count, vm.memory_mb))
        self.assertEqual(server["id"], vm.notes)
        self.assertFalse(vm.secure_boot)

    def test_root_disk_is_a_differencing_disk_over_the_cached_base_resized_to_the_flavor(self):
        server = self.boot(disk=20)

        vm = self.vm_of(server)
        (root,) = [d for d in self.hyperv.list_disks(vm.name) if d.kind == "hdd"]
        self.assertEqual("scsi", root.controller)
        info = self.hyperv.get_vhd(root.path)
        self.assertEqual(VhdType.DIFFERENCING, info.vhd_type)
        self.assertEqual(20 * base.GIB, info.size_bytes)
        self.assertTrue(info.path.lower().endswith(f"\\{vm.name}\\root.vhdx"))
        self.assertEqual(f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx", info.parent_path)
        cached = self.hyperv.read_file(info.parent_path, max_bytes=2**31)
        self.assertEqual(self.image_data(base.VHDX_IMAGE), cached)

    def test_hw_machine_type_gen1_gives_a_generation_1_vm_booting_from_ide(self):
        server = self.boot(base.VHD_GEN1_IMAGE, disk=10)

        vm = self.vm_of(server)
        self.assertEqual(1, vm.generation)
        (root,) = self.hyperv.list_disks(vm.name)
        self.assertEqual(("ide", "hdd"), (root.controller, root.kind))
        self.assertTrue(root.path.endswith("root.vhd"))

    def test_os_secure_boot_required_turns_secure_boot_on(self):
        self._add_image(
            base.SECURE_IMAGE,
            "vhdx",
            self.image_data(base.VHDX_IMAGE),
            {"hw_machine_type": "hyperv-gen2", "os_secure_boot": "required"},
        )
        server = self.boot(base.SECURE_IMAGE)

        self.assertTrue(self.vm_of(server).secure_boot)

    def test_flavor_ephemeral_disk_is_a_new_vhdx_attached_to_the_vm(self):
        server = self.boot(disk=10, ephemeral=5)

        vm = self.vm_of(server)
        paths = [d.path for d in self.hyperv.list_disks(vm.name) if d.kind == "hdd"]
        self.assertEqual(2, len(paths))
        ephemeral = self.hyperv.get_vhd(paths[1])
        self.assertTrue(ephemeral.path.endswith("ephemeral0.vhdx"))
        self.assertEqual(
            (VhdType.DYNAMIC, 5 * base.GIB), (ephemeral.vhd_type, ephemeral.size_bytes)
        )

    def test_nics_are_named_by_neutron_port_and_carry_its_mac_on_the_vswitch(self):
        port = self.neutron.port_1
        server = self.boot(networks=[{"port": port["id"]}])

        nics = self.hyperv.list_nics(self.vm_of(server).name)
        self.assertEqual(
            [(port["id"], port["mac_address"].lower(), "external")],
            [(n.name, n.mac, n.switch) for n in nics],
        )

    def test_an_image_is_copied_to_the_host_once_for_two_servers(self):
        first = self.boot()
        second = self.boot()

        self.assertEqual(1, self.downloads.count(base.VHDX_IMAGE))
        parents = {
            self.hyperv.get_vhd(self.hyperv.list_disks(self.vm_of(s).name)[0].path).parent_path
            for s in (first, second)
        }
        self.assertEqual(1, len(parents))

    def test_config_drive_holds_the_instance_metadata_read_back_by_our_reader(self):
        body = self._build_server(
            image_uuid=base.VHDX_IMAGE, flavor_id=self.flavor(), networks="none"
        )
        body["config_drive"] = True
        body["user_data"] = base64.b64encode(b"#ps1\nWrite-Host hello\n").decode()
        body["metadata"] = {"role": "web"}
        server = self._wait_for_state_change(self.api.post_server({"server": body}), "ACTIVE")

        vm = self.vm_of(server)
        (dvd,) = [d for d in self.hyperv.list_disks(vm.name) if d.kind == "dvd"]
        self.assertEqual("scsi", dvd.controller)
        iso = self.hyperv.read_file(dvd.path, max_bytes=64 * 2**20)
        with tempfile.TemporaryDirectory() as tmp:
            drive = Path(tmp) / "cd.iso"
            drive.write_bytes(iso)
            files = read_drive(drive)
        meta = json.loads(files["openstack/latest/meta_data.json"])
        self.assertEqual(server["id"], meta["uuid"])
        self.assertEqual({"role": "web"}, meta["meta"])
        self.assertEqual(b"#ps1\nWrite-Host hello\n", files["openstack/latest/user_data"])

    def test_a_cached_base_cut_short_by_a_crash_is_copied_again(self):
        partial = self.image_data(base.VHDX_IMAGE)[: 1024 * 1024]
        self.hyperv.make_dir("C:\\Hyper-V\\_base")
        self.hyperv.write_file(f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx", [partial])

        self.boot()

        cached = self.hyperv.read_file(
            f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx", max_bytes=2**31
        )
        self.assertEqual(self.image_data(base.VHDX_IMAGE), cached)
        self.assertEqual([base.VHDX_IMAGE], self.downloads)


class PreCacheTest(base.HyperVTestCase):
    def test_aggregate_image_cache_request_copies_the_image_to_the_host_once(self):
        aggregate = self.admin_api.post_aggregate({"aggregate": {"name": "hyperv"}})
        self.admin_api.add_host_to_aggregate(aggregate["id"], self.hyperv_host_name)
        body = {"cache": [{"id": base.VHDX_IMAGE}]}

        for _ in range(2):
            self.admin_api.api_post(
                f"/os-aggregates/{aggregate['id']}/images", body, check_response_status=[202]
            )
            self.notifier.wait_for_versioned_notifications("aggregate.cache_images.end")
            self.notifier.reset()

        self.assertTrue(self.hyperv.file_exists(f"C:\\Hyper-V\\_base\\{base.VHDX_IMAGE}.vhdx"))
        self.assertEqual([base.VHDX_IMAGE], self.downloads)
        self.boot()
        self.assertEqual([base.VHDX_IMAGE], self.downloads)
