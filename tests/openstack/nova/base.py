"""Nova 34's own functional harness with wincloud's HyperVDriver on a fake Hyper-V host.

Real API, conductor, scheduler, compute and Placement (SQLite, in process); Glance and Neutron are
Nova's fixtures. Two adjustments, both to match the real services: GlanceFixture.download returns
the image's chunks when given no destination (nova.image.glance.API does), and GlanceFixture.update
keeps uploaded data (Glance does), so snapshots can be read back.
"""

from __future__ import annotations

import functools
import io
import sys
import tempfile
from pathlib import Path

from nova import context, objects
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional import integrated_helpers

import fixtures
import wincloud.hyperv.nova.driver  # noqa: F401  (registers the [hyperv] options)
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.vhd import create_disk

API_PASTE = Path(sys.prefix) / "etc" / "nova" / "api-paste.ini"
GIB = 1024**3
CHUNK = 64 * 1024
VHDX_IMAGE = "7b5a9f3e-3c55-4d6e-9a51-0d7a1f6f3a01"
VHD_GEN1_IMAGE = "7b5a9f3e-3c55-4d6e-9a51-0d7a1f6f3a02"
QCOW2_IMAGE = "7b5a9f3e-3c55-4d6e-9a51-0d7a1f6f3a03"
BROKEN_IMAGE = "7b5a9f3e-3c55-4d6e-9a51-0d7a1f6f3a04"
SECURE_IMAGE = "7b5a9f3e-3c55-4d6e-9a51-0d7a1f6f3a05"


@functools.cache
def disk_bytes(fmt: str, size: int) -> bytes:
    """A small dynamic VHD/VHDX written by our own library (made once per run)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"disk.{fmt}"
        create_disk(path, size, fmt=fmt)
        return path.read_bytes()


class HyperVTestCase(integrated_helpers.ProviderUsageBaseTestCase):
    compute_driver = "wincloud.HyperVDriver"
    hyperv_host_name = "hv1"
    start_fake_compute = True

    def setUp(self):
        # The harness looks for api-paste.ini in a source checkout; use the wheel's copy.
        original = nova_fixtures.OSAPIFixture.setUp
        test = self

        def api_with_wheel_paste(fixture):
            test.flags(group="wsgi", api_paste_config=str(API_PASTE))
            original(fixture)

        self.useFixture(
            fixtures.MonkeyPatch("nova.tests.fixtures.OSAPIFixture.setUp", api_with_wheel_paste)
        )
        super().setUp()
        self.flags(group="hyperv", transport="fake", vswitch_name="external")
        self._make_glance_stream()
        self._add_image(VHDX_IMAGE, "vhdx", disk_bytes("vhdx", 2 * GIB), {})
        self._add_image(
            VHD_GEN1_IMAGE, "vhd", disk_bytes("vhd", GIB), {"hw_machine_type": "hyperv-gen1"}
        )
        self._add_image(QCOW2_IMAGE, "qcow2", b"QFI\xfb" + b"\0" * 508, {})
        self._add_image(BROKEN_IMAGE, "vhdx", b"not a virtual disk" * 100, {})
        if self.start_fake_compute:
            self.compute = self._start_compute(self.hyperv_host_name)
            self.hyperv = self.host_of(self.hyperv_host_name)

    def host_of(self, compute_host: str) -> FakeHost:  # the fake transport's host
        host = self.computes[compute_host].manager.driver.hyperv_host
        assert isinstance(host, FakeHost)
        return host

    # ---- Glance -------------------------------------------------------------------------------
    def _make_glance_stream(self):
        fixture = self.glance
        self.downloads = []

        def download(context, image_id, data=None, dst_path=None, trusted_certs=None):
            fixture.show(context, image_id)
            self.downloads.append(image_id)
            blob = fixture._imagedata.get(image_id, b"")
            if data is not None:
                data.write(blob)
                return None
            if dst_path:
                Path(dst_path).write_bytes(blob)
                return None
            return (blob[i : i + CHUNK] for i in range(0, len(blob), CHUNK))

        original_update = fixture.update

        def update(context, image_id, metadata, data=None, purge_props=False):
            image = original_update(context, image_id, metadata, data=None, purge_props=purge_props)
            if data is not None:
                blob = data.read()
                fixture._imagedata[image_id] = blob
                image["size"] = len(blob)
                image["status"] = "active"
            return image

        fixture.download = download
        fixture.update = update

    def _add_image(self, image_id, disk_format, blob, properties):
        self.glance.create(
            None,
            {
                "id": image_id,
                "name": f"{disk_format}-{image_id[-2:]}",
                "status": "active",
                "container_format": "bare",
                "disk_format": disk_format,
                "size": len(blob),
                "min_ram": 0,
                "min_disk": 0,
                "visibility": "public",
                "properties": dict(properties),
            },
            data=io.BytesIO(blob),
        )

    def image_data(self, image_id) -> bytes:
        return self.glance._imagedata[image_id]

    # ---- servers ------------------------------------------------------------------------------
    def _wait_for_state_change(self, server, expected_status, max_retries=60):
        """Nova's helper gives up after 5 s; CI machines share two cores, so allow 30 s."""
        return super()._wait_for_state_change(server, expected_status, max_retries)

    def flavor(self, *, vcpus=2, ram=2048, disk=20, ephemeral=0) -> str:
        name = f"hv-{vcpus}-{ram}-{disk}-{ephemeral}"
        for existing in self.api.get_flavors():
            if existing["name"] == name:
                return existing["id"]
        body = {
            "flavor": {
                "name": name,
                "vcpus": vcpus,
                "ram": ram,
                "disk": disk,
                "OS-FLV-EXT-DATA:ephemeral": ephemeral,
            }
        }
        return self.admin_api.post_flavor(body)["id"]

    def boot(self, image=VHDX_IMAGE, *, expected="ACTIVE", networks="none", **flavor):
        return self._create_server(
            image_uuid=image,
            flavor_id=self.flavor(**flavor),
            networks=networks,
            expected_state=expected,
        )

    def snapshot(self, server, name):
        """createImage, wait until the compute is done, return the Glance image."""
        image_id = self.api.post_server_action(server["id"], {"createImage": {"name": name}})[
            "image_id"
        ]
        self.notifier.wait_for_versioned_notifications("instance.snapshot.end")
        return self.glance.show(None, image_id)

    def run_image_cache_pass(self):
        """What the compute's image cache periodic task does, for this compute's instances."""
        ctx = context.get_admin_context()
        instances = objects.InstanceList.get_by_filters(
            ctx, {"deleted": False, "host": [self.hyperv_host_name]}
        )
        self.compute.manager.driver.manage_image_cache(ctx, instances)

    def vm_of(self, server):
        instance_name = server["OS-EXT-SRV-ATTR:instance_name"]
        vm = self.hyperv.find_vm(instance_name)
        self.assertIsNotNone(vm, f"no VM {instance_name} on the fake host")
        return vm

    def instance_files(self, host=None) -> list[str]:
        """Every file under the instances path, except the image cache."""
        host = host or self.hyperv
        root = host.host_info().instances_path
        out = []
        pending = [root]
        for _ in range(1000):
            if not pending:
                break
            folder = pending.pop()
            for entry in host.list_dir(folder):
                path = f"{folder}\\{entry.name}"
                if entry.is_dir and entry.name != "_base":
                    pending.append(path)
                elif not entry.is_dir:
                    out.append(path)
        return sorted(out)
