"""`wincloud image publish` against a real Glance 33 (gunicorn, SQLite, file store, real RBAC).

Run by tests/openstack/all.sh (`.venv/bin/python tests/openstack/run.py glance`): the tests run
in the main venv (openstacksdk, wincloud); Glance runs from .venv-glance as a subprocess. The
disks are real qcow2 files written by qemu-img/qemu-io; their inspection reports are written as
`wincloud image inspect --json` would write them (no Windows disk exists here).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from typing import Any, ClassVar

from tests.image_publish_data import report_doc, spec_text
from tests.openstack.glance.server import GlanceServer, is_available
from wincloud.errors import ImageError
from wincloud.image.glance import UPLOAD_HASH, GlanceImages, file_hash, publish_file
from wincloud.image.glance_format import check_upload, detect_format

REPORT = report_doc(
    virtual_size=64 * 2**20,  # the qcow2 files written here are 64 MiB
    actual_size=9 * 2**20,
    qemu_ga=True,
    drivers={"vioscsi": "100.95.104.26600", "netkvm": "100.95.104.26600"},
    boot_drivers={"virtio": False, "scsi": True},
)
PUBLISH_EXTRA = """\
disk_format = "{disk_format}"
compression = "{compression}"
visibility = "{visibility}"
properties = {{ os_admin_user = "Administrator", owner_team = "windows-ops" }}"""

CLOUDS = {"member": "member@p1", "other": "member@p2", "admin": "admin@ops"}


def qcow2(path: Path, *, mib_written: int = 8, pattern: int = 0x5A) -> Path:
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), "64M"], check=True)
    subprocess.run(
        ["qemu-io", "-c", f"write -P {pattern} 0 {mib_written}M", str(path)],
        check=True,
        capture_output=True,
    )
    return path


class Interrupted(BaseException):
    """Stands for Ctrl-C (or a dropped connection) in the middle of the upload."""


def setUpModule() -> None:
    """One Glance for the module (each test uses its own image names)."""
    reason = is_available()
    if reason:
        raise unittest.SkipTest(reason)
    work = Path(tempfile.mkdtemp(prefix="wincloud-glance-"))
    glance = GlanceServer.start(work / "glance")
    print(
        f"\nglance 33: db_sync {glance.db_sync_seconds:.1f} s, answering "
        f"{glance.start_seconds:.1f} s after start",
        flush=True,
    )
    clouds = {
        name: {
            "auth_type": "admin_token",
            "auth": {"token": token, "endpoint": glance.url},
            "image_endpoint_override": glance.url,
            "image_api_version": "2",
        }
        for name, token in CLOUDS.items()
    }
    (work / "clouds.yaml").write_text(json.dumps({"clouds": clouds}))
    (work / "report.json").write_text(json.dumps(REPORT))
    GlanceTestCase.glance, GlanceTestCase.work = glance, work


def tearDownModule() -> None:
    if hasattr(GlanceTestCase, "glance"):
        GlanceTestCase.glance.stop()
        shutil.rmtree(GlanceTestCase.work, ignore_errors=True)


class GlanceTestCase(unittest.TestCase):
    glance: ClassVar[GlanceServer]
    work: ClassVar[Path]

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(dir=self.work))

    # --- helpers -------------------------------------------------------------------------

    def connect(self, cloud: str) -> Any:
        import openstack

        os.environ["OS_CLIENT_CONFIG_FILE"] = str(self.work / "clouds.yaml")
        conn = openstack.connect(cloud=cloud)
        self.addCleanup(conn.close)
        return conn

    def images(self, cloud: str = "member") -> GlanceImages:
        return GlanceImages(self.connect(cloud).image, where=f"test glance ({cloud})")

    def spec(self, name: str, **publish: str) -> Path:
        values = {"disk_format": "qcow2", "compression": "none", "visibility": "private"}
        values.update(publish)
        path = self.tmp / f"{name}.toml"
        extra = PUBLISH_EXTRA.format(**values)
        path.write_text(
            spec_text(tpm=True, bus="scsi", size_gib=32, publish_name=name, publish_extra=extra)
        )
        return path

    def cli(self, *args: str, cloud: str = "member") -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(self.work / "clouds.yaml"))
        return subprocess.run(
            [sys.executable, "-m", "wincloud", "image", "publish", *args, "--cloud", cloud,
             "--report", str(self.work / "report.json")],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    def publish(self, image: Path, spec: Path, cloud: str = "member", *extra: str) -> str:
        done = self.cli(str(image), "--spec", str(spec), *extra, cloud=cloud)
        self.assertEqual(done.returncode, 0, done.stderr)
        line = done.stdout.strip().splitlines()[-1]
        self.assertTrue(line.startswith("published "), line)
        return dict(p.split("=", 1) for p in line.split() if "=" in p)["id"]

    def get(self, image_id: str, cloud: str = "member") -> dict[str, Any]:
        return self.images(cloud).get(image_id)

    def named(self, name: str, cloud: str = "admin") -> list[dict[str, Any]]:
        return self.images(cloud).find(name, {})


class PublishTest(GlanceTestCase):
    def test_properties_round_trip_and_hash_matches(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        image_id = self.publish(disk, self.spec("round-trip"))
        image = self.get(image_id)
        self.assertEqual(image["status"], "active")
        expected = {
            "os_type": "windows",
            "os_distro": "windows",
            "os_version": "2022",
            "architecture": "x86_64",
            "hw_machine_type": "q35",
            "hw_firmware_type": "uefi",
            "os_secure_boot": "required",
            "hw_disk_bus": "scsi",
            "hw_scsi_model": "virtio-scsi",
            "hw_tpm_version": "2.0",
            "hw_tpm_model": "tpm-crb",
            "hw_qemu_guest_agent": "yes",
            "hw_vif_model": "virtio",
            "wincloud_agent_version": "0.1.0",
            "virtio_win_version": "0.1.266",
            "wincloud_windows_build": "20348",
            "os_admin_user": "Administrator",
            "owner_team": "windows-ops",
        }
        self.assertEqual({k: image.get(k) for k in expected}, expected)
        self.assertEqual(len(image["wincloud_spec_sha256"]), 64)
        self.assertEqual((image["min_disk"], image["min_ram"]), (32, 2048))
        self.assertEqual((image["disk_format"], image["container_format"]), ("qcow2", "bare"))
        self.assertEqual(image["visibility"], "private")
        sha512 = hashlib.sha512(disk.read_bytes()).hexdigest()
        self.assertEqual((image["os_hash_algo"], image["os_hash_value"]), ("sha512", sha512))
        self.assertEqual(image["size"], disk.stat().st_size)
        self.assertEqual(image["virtual_size"], 64 * 2**20)
        stored = self.glance.base / "images" / image_id
        self.assertEqual(stored.read_bytes(), disk.read_bytes())

    def test_glance_direct_import_is_used_when_offered(self):
        self.assertIn("glance-direct", self.images().import_methods())
        disk = qcow2(self.tmp / "disk.qcow2")
        done = self.cli(str(disk), "--spec", str(self.spec("direct")))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("method=glance-direct", done.stdout)
        self.assertIn("sha512=", done.stdout)
        self.assertIn("verified", done.stdout)

    def test_classic_upload_with_no_import(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        done = self.cli(str(disk), "--spec", str(self.spec("put")), "--no-import")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("method=put", done.stdout)
        (image,) = self.named("put")
        self.assertEqual(image["status"], "active")
        self.assertEqual(image["os_hash_value"], hashlib.sha512(disk.read_bytes()).hexdigest())

    def test_dry_run_prints_the_image_and_creates_nothing(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        done = self.cli(str(disk), "--spec", str(self.spec("dry")), "--dry-run")
        self.assertEqual(done.returncode, 0, done.stderr)
        doc = json.loads(done.stdout)
        self.assertEqual(doc["image"]["hw_firmware_type"], "uefi")
        self.assertEqual(doc["image"]["min_disk"], 32)
        self.assertEqual(doc["data"]["format"], "qcow2")
        self.assertEqual(self.named("dry"), [])

    def test_raw_disk_is_converted_to_zstd_qcow2_and_accepted(self):
        raw = self.tmp / "disk.raw"
        subprocess.run(
            ["qemu-img", "convert", "-O", "raw", str(qcow2(self.tmp / "src.qcow2")), str(raw)],
            check=True,
        )
        image_id = self.publish(raw, self.spec("zstd", compression="zstd"))
        image = self.get(image_id)
        self.assertEqual(image["status"], "active")
        stored = self.glance.base / "images" / image_id
        found = detect_format(stored)
        self.assertEqual((found.name, found.compression), ("qcow2", "zstd"))
        info = json.loads(
            subprocess.run(
                ["qemu-img", "info", "--output=json", str(stored)],
                check=True, capture_output=True, text=True,
            ).stdout
        )  # fmt: skip
        self.assertEqual(info["format-specific"]["data"]["compression-type"], "zstd")
        self.assertLess(image["size"], raw.stat().st_size)
        self.assertEqual(image["os_hash_value"], file_hash(stored))

    def test_publishing_again_finds_the_active_image(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        spec = self.spec("again")
        first = self.publish(disk, spec)
        done = self.cli(str(disk), "--spec", str(spec))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(f"id={first}", done.stdout)
        self.assertIn("method=none resumed=yes", done.stdout)
        self.assertEqual(len(self.named("again")), 1)

    def test_contradiction_is_refused_before_anything_is_sent(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        spec = self.spec("contra")
        spec.write_text(spec.read_text().replace('bus = "scsi"', 'bus = "virtio"'))
        done = self.cli(str(disk), "--spec", str(spec))
        self.assertEqual(done.returncode, 1)
        self.assertIn("error[image-error]: hw_disk_bus=virtio", done.stderr)
        self.assertIn("hint:", done.stderr)
        self.assertNotIn("Traceback", done.stderr)
        self.assertEqual(self.named("contra"), [])


class VisibilityTest(GlanceTestCase):
    def test_member_cannot_publish_public(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        done = self.cli(str(disk), "--spec", str(self.spec("pub-m", visibility="public")))
        self.assertEqual(done.returncode, 1)
        self.assertIn("HTTP 403", done.stderr)
        self.assertIn("publicize_image", done.stderr)
        self.assertEqual(self.named("pub-m"), [])

    def test_admin_publishes_public_and_every_project_sees_it(self):
        disk = qcow2(self.tmp / "disk.qcow2")
        image_id = self.publish(disk, self.spec("pub-a", visibility="public"), "admin")
        self.assertEqual(self.get(image_id, "other")["visibility"], "public")
        listed = self.images("other").find("pub-a", {})
        self.assertEqual([i["id"] for i in listed], [image_id])

    def test_private_image_is_invisible_to_another_project(self):
        image_id = self.publish(qcow2(self.tmp / "disk.qcow2"), self.spec("priv"))
        with self.assertRaises(ImageError) as caught:
            self.get(image_id, "other")
        self.assertIn("HTTP 404", caught.exception.message)

    def test_resume_lookup_keeps_to_the_owner_project_when_known(self):
        image_id = self.publish(qcow2(self.tmp / "disk.qcow2"), self.spec("owned"))
        conn = self.connect("member")
        mine = GlanceImages(conn.image, project_id="p1").find("owned", {})
        self.assertEqual([i["id"] for i in mine], [image_id])
        self.assertEqual(GlanceImages(conn.image, project_id="p2").find("owned", {}), [])

    def test_member_publishes_community_visible_to_others_by_id(self):
        image_id = self.publish(
            qcow2(self.tmp / "disk.qcow2"), self.spec("comm", visibility="community")
        )
        self.assertEqual(self.get(image_id, "other")["visibility"], "community")

    def test_shared_image_is_seen_once_the_project_is_a_member(self):
        image_id = self.publish(
            qcow2(self.tmp / "disk.qcow2"), self.spec("shared", visibility="shared")
        )
        with self.assertRaises(ImageError):
            self.get(image_id, "other")
        owner = self.connect("member").image
        resp = owner.post(f"/images/{image_id}/members", json={"member": "p2"}, raise_exc=False)
        self.assertEqual(resp.status_code, 200, resp.text)
        self.assertEqual(self.get(image_id, "other")["visibility"], "shared")


class RejectedFormatTest(GlanceTestCase):
    def raw_as_qcow2(self) -> Path:
        path = self.tmp / "raw-data.qcow2"
        path.write_bytes(os.urandom(2 * 2**20))
        return path

    def body(self, name: str) -> dict[str, Any]:
        return {"name": name, "disk_format": "qcow2", "container_format": "bare"}

    def test_our_check_refuses_raw_labelled_qcow2_before_upload(self):
        data = self.raw_as_qcow2()
        with self.assertRaises(ImageError) as caught:
            check_upload(data, "qcow2")
        self.assertIn("holds raw data, not qcow2", caught.exception.message)
        done = self.cli(str(data), "--spec", str(self.spec("raw-cli")), "--no-import")
        # publish converts what is not qcow2 (raw -> qcow2), so the CLI path succeeds honestly
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_glance_refuses_raw_labelled_qcow2_on_put(self):
        data = self.raw_as_qcow2()
        with self.assertRaises(ImageError) as caught:
            publish_file(
                self.images(), data, self.body("raw-put"),
                upload_hash=file_hash(data), use_import=False,
            )  # fmt: skip
        self.assertIn("HTTP 415", caught.exception.message)
        self.assertIn("does not match", caught.exception.message)

    def test_glance_import_fails_raw_labelled_qcow2(self):
        data = self.raw_as_qcow2()
        with self.assertRaises(ImageError) as caught:
            publish_file(
                self.images(), data, self.body("raw-import"),
                upload_hash=file_hash(data), use_import=True, timeout=60,
            )  # fmt: skip
        self.assertIn("import failed", caught.exception.message)
        (image,) = self.named("raw-import")
        self.assertEqual(image["os_glance_failed_import"], "fs")

    def test_qcow2_with_backing_file_refused_by_us_and_by_glance(self):
        base = qcow2(self.tmp / "base.qcow2")
        child = self.tmp / "child.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2",
             str(child)],
            check=True,
        )  # fmt: skip
        with self.assertRaises(ImageError) as caught:
            check_upload(child, "qcow2")
        self.assertIn("backing file", caught.exception.message)
        with self.assertRaises(ImageError) as caught:
            publish_file(
                self.images(), child, self.body("backing"),
                upload_hash=file_hash(child), use_import=False,
            )  # fmt: skip
        self.assertIn("HTTP 415", caught.exception.message)


class ResumeTest(GlanceTestCase):
    def body(self, name: str) -> dict[str, Any]:
        return {"name": name, "disk_format": "qcow2", "container_format": "bare"}

    def interrupted(self, disk: Path, name: str, *, use_import: bool) -> dict[str, Any]:
        """Stop the upload halfway, drop the connection as a dying process would, and return
        the record Glance is left with once it has noticed."""

        def stop_halfway(done: int) -> None:
            if done > disk.stat().st_size // 2:
                raise Interrupted

        import openstack

        conn = openstack.connect(cloud="member")
        with self.assertRaises(Interrupted):
            publish_file(
                GlanceImages(conn.image), disk, self.body(name), upload_hash=file_hash(disk),
                progress=stop_halfway, use_import=use_import,
            )  # fmt: skip
        conn.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            (left,) = self.named(name)
            if left["status"] == "queued":
                return left
            time.sleep(0.2)
        self.fail(f"the interrupted image stayed {left['status']}")

    def resume(self, disk: Path, name: str, *, use_import: bool) -> None:
        left = self.interrupted(disk, name, use_import=use_import)
        done = publish_file(
            self.images(), disk, self.body(name), upload_hash=file_hash(disk),
            use_import=use_import,
        )  # fmt: skip
        self.assertTrue(done.resumed)
        self.assertEqual(done.image_id, left["id"])
        (image,) = self.named(name)
        self.assertEqual(image["status"], "active")
        self.assertEqual(image["os_hash_value"], hashlib.sha512(disk.read_bytes()).hexdigest())

    def test_interrupted_stage_resumes_into_the_same_image(self):
        self.resume(qcow2(self.tmp / "d.qcow2", mib_written=32), "resume-stage", use_import=True)

    def test_interrupted_put_resumes_into_the_same_image(self):
        self.resume(qcow2(self.tmp / "d.qcow2", mib_written=32), "resume-put", use_import=False)

    def test_staged_image_is_imported_without_sending_the_data_again(self):
        disk = qcow2(self.tmp / "d.qcow2")
        digest = file_hash(disk)
        glance = self.images()
        image = glance.create({**self.body("staged"), UPLOAD_HASH: digest})
        glance.send(image["id"], disk, stage=True, progress=None)
        sent: list[int] = []
        done = publish_file(glance, disk, self.body("staged"), upload_hash=digest,
                            progress=sent.append)  # fmt: skip
        self.assertEqual(
            (done.image_id, done.method, done.resumed), (image["id"], "glance-direct", True)
        )
        self.assertEqual(sent, [])
        self.assertEqual(self.get(image["id"])["status"], "active")

    def test_killed_cli_upload_resumes_with_the_next_run(self):
        disk = qcow2(self.tmp / "big.qcow2", mib_written=48)
        spec = self.spec("killed")
        env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(self.work / "clouds.yaml"))
        staging = self.glance.base / "staging"
        before = set(staging.iterdir())
        proc = subprocess.Popen(
            [sys.executable, "-m", "wincloud", "image", "publish", str(disk), "--spec", str(spec),
             "--cloud", "member", "--report", str(self.work / "report.json")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        killed_mid_stage = False
        while time.monotonic() < deadline and proc.poll() is None:
            fresh = [p for p in staging.iterdir() if p not in before]
            if fresh and 0 < fresh[0].stat().st_size < disk.stat().st_size:
                proc.send_signal(signal.SIGKILL)
                killed_mid_stage = True
                break
            time.sleep(0.002)
        proc.wait(timeout=60)
        if not killed_mid_stage:
            self.skipTest("the upload finished before it could be killed (machine too fast)")
        image_id = self.publish(disk, spec)
        (image,) = self.named("killed")
        self.assertEqual(image["id"], image_id)
        self.assertEqual(image["os_hash_value"], hashlib.sha512(disk.read_bytes()).hexdigest())


if __name__ == "__main__":
    unittest.main()
