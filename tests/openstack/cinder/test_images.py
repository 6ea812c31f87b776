"""Images through Cinder's REST API: a volume created from a raw and from a VHDX image holds the
image's bytes on the Windows host; a volume uploaded to an image comes back as a VHDX (and as a
VHD when asked) with the same bytes; a qcow2 image is refused with the volume in error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.openstack.cinder.base import GIB, WindowsIscsiTestCase
from wincloud.hyperv import vhd

MIB = 1024 * 1024
PAYLOAD = b"wincloud-cinder!" * 256  # 4 KiB


def raw_bytes() -> bytes:
    return PAYLOAD + bytes(2 * MIB - len(PAYLOAD))


def vhdx_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "image.vhdx"
        vhd.write_from_stream(out, [raw_bytes()], size=2 * MIB)
        return out.read_bytes()


def first_bytes(data: bytes, suffix: str, count: int = len(PAYLOAD)) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"disk.{suffix}"
        path.write_bytes(data)
        with vhd.open_disk(path) as disk:
            return disk.read(0, count)


class ImageTest(WindowsIscsiTestCase):
    def volume_bytes(self, volume_id: str) -> bytes:
        data = self.fake.read_file(self.disk_path(volume_id), max_bytes=64 * MIB)
        return first_bytes(data, "vhdx")

    def test_volumes_from_raw_and_vhdx_images_hold_the_image(self):
        for fmt, data in (("raw", raw_bytes()), ("vhdx", vhdx_bytes())):
            image_id = self.image_store.add(data, fmt, name=f"{fmt}-image")
            volume = self.create_volume(1, imageRef=image_id)
            disk = self.fake.get_iscsi_disk(self.disk_path(volume["id"]))
            self.assertEqual(GIB, disk.size_bytes, fmt)
            self.assertEqual(PAYLOAD, self.volume_bytes(volume["id"]), fmt)

    def test_a_qcow2_image_is_refused(self):
        image_id = self.image_store.add(b"QFI\xfb" + bytes(4092), "qcow2", name="qcow2-image")
        created = self.api.post_volume({"volume": {"size": 1, "imageRef": image_id}})
        found = self._poll_volume_while(created["id"], ["creating", "downloading"], max_retries=30)
        self.assertEqual("error", found["status"])
        # the volume in error still owns its (empty) disk; deleting it cleans the host
        self.api.delete_volume(created["id"])
        self._poll_volume_while(created["id"], ["deleting"], max_retries=30)
        self.assertEqual([], self.fake.list_iscsi_disks())

    def test_upload_to_image_gives_the_volume_bytes_as_vhdx_or_vhd(self):
        source = self.image_store.add(raw_bytes(), "raw", name="seed")
        volume = self.create_volume(1, imageRef=source)
        for fmt in ("vhdx", "vhd"):
            reply = self.action(
                volume["id"],
                {
                    "os-volume_upload_image": {
                        "image_name": f"from-volume-{fmt}",
                        "disk_format": fmt,
                        "container_format": "bare",
                        "force": False,
                    }
                },
            )
            image_id = reply["os-volume_upload_image"]["image_id"]
            self.wait_volume(volume["id"])
            data = self.image_store.data[image_id]
            self.assertEqual(fmt, vhd_format(data), fmt)
            self.assertEqual(PAYLOAD, first_bytes(data, fmt), fmt)
        self.assertEqual([], self.fake.list_iscsi_snapshots())  # temporary snapshots removed


def vhd_format(data: bytes) -> str:
    if data[:8] == b"vhdxfile":
        return "vhdx"
    return "vhd" if data[-512:-504] == b"conectix" else "raw"
