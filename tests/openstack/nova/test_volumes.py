"""A Cinder iSCSI volume attached to and detached from a server on the Hyper-V driver, through
Nova's API. Cinder is Nova's CinderFixture, answering with the connection info wincloud's Cinder
backend (wincloud.hyperv.cinder.volumes, no Cinder needed) returned for a volume on a second fake
host, the storage host: the compute host's initiator must really log in to that target."""

from __future__ import annotations

import time
import uuid

from nova.tests.fixtures import cinder as cinder_fixture

import fixtures
from tests.openstack.nova.base import HyperVTestCase
from wincloud.hyperv.cinder.volumes import BackendSettings, IscsiVolumes
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.iscsi import IscsiPortal

PORTAL = "192.0.2.10:3260"


class VolumeAttachTest(HyperVTestCase):
    def _volume(self) -> tuple[str, FakeHost]:
        """A 1 GiB volume exported for this compute host's initiator, with CHAP."""
        storage = FakeHost(name="storage", hostname="STORAGE01")
        storage.set_iscsi_portals([IscsiPortal("192.0.2.10", 3260)])
        self.hyperv.iscsi_reach(PORTAL, storage)
        backend = IscsiVolumes(storage, BackendSettings(volume_dir="D:\\vols", use_chap=True))
        backend.check_setup()
        backend.create("volume-1", 1)
        export = backend.export("volume-1")
        props = backend.connect(
            "volume-1", self.hyperv.iscsi_initiator_name(), provider_auth=export.auth
        )
        volume_id = str(uuid.uuid4())
        infos = dict(cinder_fixture.CinderFixture.VOLUME_CONNECTION_INFO)
        infos[volume_id] = {"driver_volume_type": "iscsi", "data": props}
        self.useFixture(
            fixtures.MonkeyPatch(
                "nova.tests.fixtures.cinder.CinderFixture.VOLUME_CONNECTION_INFO", infos
            )
        )
        return volume_id, storage

    def _wait_passthrough(self, vm: str, count: int) -> list[int]:
        deadline = time.monotonic() + 30
        disks = self.hyperv.list_passthrough(vm)
        while len(disks) != count and time.monotonic() < deadline:  # bounded: 30 s
            time.sleep(0.1)
            disks = self.hyperv.list_passthrough(vm)
        return disks

    def test_attach_and_detach_an_iscsi_volume(self):
        server = self.boot()
        vm = self.vm_of(server).name
        volume_id, _storage = self._volume()

        self.api.post_server_volume(server["id"], {"volumeAttachment": {"volumeId": volume_id}})
        disks = self._wait_passthrough(vm, 1)
        self.assertEqual(1, len(disks))
        [session] = self.hyperv.iscsi_sessions()
        self.assertEqual(disks[0], session.disk_of(0))

        self.api.delete_server_volume(server["id"], volume_id)
        self.assertEqual([], self._wait_passthrough(vm, 0))
        self.assertEqual([], self.hyperv.iscsi_sessions())

    def test_deleting_the_server_detaches_its_volume(self):
        server = self.boot()
        vm = self.vm_of(server).name
        volume_id, _storage = self._volume()
        self.api.post_server_volume(server["id"], {"volumeAttachment": {"volumeId": volume_id}})
        self.assertEqual(1, len(self._wait_passthrough(vm, 1)))

        self._delete_server(server)
        self.assertIsNone(self.hyperv.find_vm(vm))
        self.assertEqual([], self.hyperv.iscsi_sessions())
