"""What the Hyper-V compute reports to Placement, and where the scheduler sends images."""

from __future__ import annotations

import os_traits
from nova.virt import fake

import fixtures
from tests.openstack.nova import base


class ProviderTest(base.HyperVTestCase):
    def test_inventory_is_the_hosts_processors_memory_and_disk(self):
        rp = self._get_provider_uuid_by_host(self.hyperv_host_name)
        inventory = self._get_provider_inventory(rp)

        info = self.hyperv.host_info()
        self.assertEqual(info.logical_processors, inventory["VCPU"]["total"])
        self.assertEqual(info.memory_mb_total, inventory["MEMORY_MB"]["total"])
        self.assertEqual(int(info.disk_gb_total), inventory["DISK_GB"]["total"])

    def test_traits_offer_vhd_and_vhdx_images_and_secure_boot_but_not_qcow2(self):
        traits = set(self._get_provider_traits(self._get_provider_uuid_by_host("hv1")))

        self.assertLessEqual(
            {
                os_traits.COMPUTE_IMAGE_TYPE_VHDX,
                os_traits.COMPUTE_IMAGE_TYPE_VHD,
                os_traits.COMPUTE_SECURITY_UEFI_SECURE_BOOT,
            },
            traits,
        )
        self.assertNotIn(os_traits.COMPUTE_IMAGE_TYPE_QCOW2, traits)

    def test_hypervisor_type_is_hyperv(self):
        (hypervisor,) = self.admin_api.api_get("os-hypervisors/detail").body["hypervisors"]

        self.assertEqual(
            ("hyperv", "hv1"), (hypervisor["hypervisor_type"], hypervisor["hypervisor_hostname"])
        )

    def test_usage_follows_a_server_onto_the_provider(self):
        rp = self._get_provider_uuid_by_host("hv1")
        self.boot(vcpus=2, ram=2048, disk=20)

        self.assertEqual(
            {"VCPU": 2, "MEMORY_MB": 2048, "DISK_GB": 20}, self._get_provider_usages(rp)
        )


class MixedCloudTest(base.HyperVTestCase):
    """Hyper-V beside a KVM stand-in (Nova's fake driver, told it takes qcow2 as libvirt does).
    The stand-in reports far more free RAM, so the weighers prefer it: an image that still lands
    on Hyper-V got there by a filter."""

    def setUp(self):
        super().setUp()
        self.flags(group="scheduler", query_placement_for_image_type_support=True)
        self.useFixture(
            fixtures.MonkeyPatch(
                "nova.virt.fake.FakeDriver.capabilities",
                {**fake.FakeDriver.capabilities, "supports_image_type_qcow2": True},
            )
        )
        self.flags(compute_driver="fake.FakeDriver")
        self._start_compute("kvm1")

    def test_vhdx_lands_on_hyperv_and_qcow2_on_the_kvm_host(self):
        for _ in range(3):
            vhdx = self.boot(base.VHDX_IMAGE, vcpus=1, ram=512, disk=10)
            qcow2 = self.boot(base.QCOW2_IMAGE, vcpus=1, ram=512, disk=10)

            self.assertEqual("hv1", vhdx["OS-EXT-SRV-ATTR:host"])
            self.assertEqual("kvm1", qcow2["OS-EXT-SRV-ATTR:host"])
        self.assertEqual(3, len(self.hyperv.list_vms()))

    def test_img_hv_type_hyperv_keeps_an_image_on_hyperv_without_the_placement_filter(self):
        self.flags(group="scheduler", query_placement_for_image_type_support=False)
        self._add_image(
            base.SECURE_IMAGE, "vhdx", self.image_data(base.VHDX_IMAGE), {"img_hv_type": "hyperv"}
        )

        hosts = {
            self.boot(base.SECURE_IMAGE, vcpus=1, ram=512, disk=10)["OS-EXT-SRV-ATTR:host"]
            for _ in range(4)
        }

        self.assertEqual({"hv1"}, hosts)
