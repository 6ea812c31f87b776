"""Cinder 29's own functional harness (real API, scheduler and volume service in process, SQLite)
with wincloud's WindowsISCSIDriver on a fake Windows host (``hyperv_transport = fake``).

Adjustments, each to what a real deployment has: the API reads the wheel's api-paste.ini (the
harness assumes a source checkout); Glance is ``ImageStore`` below, a small image service that
keeps the bytes it is given (Cinder's own test double drops uploaded data).
"""

from __future__ import annotations

import contextlib
import copy
import sys
import uuid
from pathlib import Path
from typing import Any

from cinder import exception, service
from cinder.tests.functional import functional_helpers
from oslo_config import cfg

import fixtures
from wincloud.hyperv.cinder import options
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.iscsi import IscsiPortal

CONF = cfg.CONF
API_PASTE = Path(sys.prefix) / "etc" / "cinder" / "api-paste.ini"
GROUP = "backend_defaults"
HOST_NAME = "storage01"
VOLUME_DIR = "D:\\iSCSIVirtualDisks"
GIB = 1024**3
INITIATOR = "iqn.1991-05.com.microsoft:hv01.example.net"


class ImageStore:
    """Glance as far as the volume service uses it: show, download, create, update (with data)."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.data: dict[str, bytes] = {}
        self.temp_images: Any = None  # set by cinder.image.image_utils.TemporaryImages

    def add(self, data: bytes, disk_format: str, **meta: Any) -> str:
        image_id = str(uuid.uuid4())
        self.images[image_id] = {
            "id": image_id,
            "name": meta.pop("name", "image"),
            "status": "active",
            "disk_format": disk_format,
            "container_format": "bare",
            "size": len(data),
            "min_disk": 0,
            "visibility": "public",
            "protected": False,
            "owner": None,
            "properties": {},
            **meta,
        }
        self.data[image_id] = data
        return image_id

    def show(self, context: Any, image_id: str) -> dict[str, Any]:
        if image_id not in self.images:
            raise exception.ImageNotFound(image_id=image_id)
        return copy.deepcopy(self.images[image_id])

    def detail(self, context: Any, **kwargs: Any) -> list[dict[str, Any]]:
        return [copy.deepcopy(i) for i in self.images.values()]

    def download(self, context: Any, image_id: str, data: Any = None) -> Any:
        self.show(context, image_id)
        if data is None:
            return iter([self.data[image_id]])
        data.write(self.data[image_id])
        return None

    def create(self, context: Any, metadata: dict[str, Any], data: Any = None) -> dict[str, Any]:
        image_id = str(metadata.get("id") or uuid.uuid4())
        meta = {"status": "queued", "properties": {}, **metadata, "id": image_id}
        self.images[image_id] = meta
        if data is not None:
            self.data[image_id] = data.read()
        return copy.deepcopy(meta)

    def update(
        self, context: Any, image_id: str, metadata: dict[str, Any], data: Any = None, **_: Any
    ) -> dict[str, Any]:
        image = self.images[image_id]
        image.update({k: v for k, v in metadata.items() if k != "properties"})
        if data is not None:
            self.data[image_id] = data.read() if hasattr(data, "read") else b"".join(data)
            image.update(status="active", size=len(self.data[image_id]))
        return copy.deepcopy(image)

    def delete(self, context: Any, image_id: str) -> None:
        self.images.pop(image_id, None)
        self.data.pop(image_id, None)

    def get_location(self, context: Any, image_id: str) -> tuple[None, None]:
        return None, None


class WindowsIscsiTestCase(functional_helpers._FunctionalTestBase):
    use_chap = True

    def _get_flags(self) -> dict[str, Any]:
        # runs inside setUp, after the base TestCase and before the services start
        self.image_store = ImageStore()
        for target in ("get_default_image_service",):
            self.useFixture(
                fixtures.MonkeyPatch(f"cinder.image.glance.{target}", lambda: self.image_store)
            )
        self.useFixture(
            fixtures.MonkeyPatch(
                "cinder.image.glance.get_remote_image_service",
                lambda context, image_href: (self.image_store, image_href),
            )
        )
        # Cinder inspects every downloaded image with `qemu-img info` as root through privsep,
        # which its harness forbids; the same command runs here without root.
        self.useFixture(fixtures.MonkeyPatch("cinder.image.image_utils.qemu_img_info", _qemu_info))
        options.FAKE_HOSTS.clear()
        self.fake = FakeHost(name=f"fake:{HOST_NAME}", hostname=HOST_NAME.upper())
        self.fake.set_iscsi_portals([IscsiPortal("127.0.0.1", 3260)])
        options.FAKE_HOSTS[HOST_NAME] = self.fake
        for opt in options.OPTS:
            with contextlib.suppress(cfg.DuplicateOptError):
                CONF.register_opt(opt, group=GROUP)
        f = super()._get_flags()
        backend = {
            "volume_driver": "wincloud.hyperv.cinder.WindowsISCSIDriver",
            "volume_backend_name": "windows-iscsi",
            "hyperv_transport": "fake",
            "hyperv_host": HOST_NAME,
            "windows_iscsi_lun_path": VOLUME_DIR,
            "target_ip_address": "127.0.0.1",
            "target_port": 3260,
            "use_chap_auth": self.use_chap,
        }
        for name, value in backend.items():
            f[name] = {"v": value, "g": GROUP}
        return f

    def _start_api_service(self) -> None:
        # the harness looks for etc/cinder/api-paste.ini in a source checkout; use the wheel's
        CONF.api_paste_config = str(API_PASTE)  # as the harness does it
        self.osapi = service.WSGIService("osapi_volume")
        self.osapi.start()
        self.auth_url = f"http://{self.osapi.host}:{self.osapi.port}/v{self._osapi_version[0]}"

    # ---- helpers -------------------------------------------------------------------------------
    def wait_volume(self, volume_id: str, status: str = "available") -> dict[str, Any]:
        found = self._poll_volume_while(
            volume_id, ["creating", "extending", "downloading", "deleting", "attaching",
                        "detaching", "uploading", "reserved"],
            max_retries=30,
        )  # fmt: skip
        self.assertEqual(status, found["status"], found)
        return found

    def create_volume(self, size: int = 1, **extra: Any) -> dict[str, Any]:
        created = self.api.post_volume({"volume": {"size": size, **extra}})
        return self.wait_volume(created["id"])

    def action(self, volume_id: str, body: dict[str, Any]) -> Any:
        return self.api.api_post(f"/volumes/{volume_id}/action", body)

    def disk_path(self, volume_id: str) -> str:
        return f"{VOLUME_DIR}\\volume-{volume_id}.vhdx"


def _qemu_info(path: str, run_as_root: bool = True, **kwargs: Any) -> Any:
    """``qemu-img info --output=json`` of ``path`` parsed as Cinder does (no root, no privsep)."""
    from oslo_concurrency import processutils
    from oslo_utils import imageutils

    fmt = kwargs.get("img_format")
    cmd = ["qemu-img", "info", "--output=json", *(["-f", fmt] if fmt else []), path]
    out, _err = processutils.execute(*cmd)
    return imageutils.QemuImgInfo(out, format="json")
