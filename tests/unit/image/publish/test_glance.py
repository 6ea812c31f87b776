"""publish_file's decisions (method, resume, verification, waiting) against a stateful fake
Glance; the same paths run against a real Glance 33 in tests/openstack/glance."""

from __future__ import annotations

import pytest

from tests.unit.image.publish.fake_glance import FakeGlance
from wincloud.errors import ImageError
from wincloud.image.glance import UPLOAD_HASH, GlanceImages, file_hash, publish_file

BODY = {"name": "ws2022", "disk_format": "qcow2", "container_format": "bare"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def disk(tmp_path):
    path = tmp_path / "disk.qcow2"
    path.write_bytes(b"QFI\xfb" + bytes(range(256)) * 64)
    return path


def client(fake: FakeGlance, clock: Clock | None = None) -> GlanceImages:
    clock = clock or Clock()
    return GlanceImages(fake, where="fake glance", sleep=clock.sleep, clock=clock)


def test_glance_direct_stages_imports_and_verifies(disk):
    fake = FakeGlance()
    done = publish_file(client(fake), disk, BODY, upload_hash=file_hash(disk))
    assert (done.method, done.status, done.resumed) == ("glance-direct", "active", False)
    image = fake.images[done.image_id]
    assert image[UPLOAD_HASH] == file_hash(disk)
    assert fake.data[done.image_id] == disk.read_bytes()
    assert f"PUT /images/{done.image_id}/stage" in fake.calls


def test_the_wait_for_glance_is_announced(disk):
    said: list[str] = []
    done = publish_file(
        client(FakeGlance()), disk, BODY, upload_hash=file_hash(disk), notify=said.append
    )
    assert said == [f"waiting for Glance to make image {done.image_id} active"]


def test_glance_without_import_gets_a_put(disk):
    fake = FakeGlance(import_methods=None)
    done = publish_file(client(fake), disk, BODY, upload_hash=file_hash(disk))
    assert done.method == "put"
    assert fake.images[done.image_id]["status"] == "active"


def test_forcing_import_on_a_glance_without_it_is_refused(disk):
    with pytest.raises(ImageError, match="does not offer the glance-direct"):
        publish_file(
            client(FakeGlance(import_methods=["web-download"])), disk, BODY,
            upload_hash=file_hash(disk), use_import=True,
        )  # fmt: skip


def test_progress_reports_every_byte(disk):
    seen: list[int] = []
    publish_file(
        client(FakeGlance()), disk, BODY, upload_hash=file_hash(disk), progress=seen.append
    )
    assert seen[-1] == disk.stat().st_size


def test_different_data_in_glance_is_an_error(disk):
    with pytest.raises(ImageError, match="Glance holds different data"):
        publish_file(client(FakeGlance(corrupt=True)), disk, BODY, upload_hash=file_hash(disk))


def test_failed_import_says_glances_reason(disk):
    with pytest.raises(ImageError) as caught:
        publish_file(
            client(FakeGlance(import_outcome="fail")), disk, BODY, upload_hash=file_hash(disk)
        )
    assert "does not match" in caught.value.message
    assert "delete the image" in (caught.value.hint or "")


def test_import_that_never_ends_times_out_and_says_resume(disk):
    clock = Clock()
    with pytest.raises(ImageError) as caught:
        publish_file(
            client(FakeGlance(import_outcome="never"), clock), disk, BODY,
            upload_hash=file_hash(disk), timeout=60,
        )  # fmt: skip
    assert "still importing after 60 s" in caught.value.message
    assert 60 <= clock.now < 70


def test_queued_record_of_the_same_upload_is_reused(disk):
    fake = FakeGlance()
    glance = client(fake)
    left = glance.create({**BODY, UPLOAD_HASH: file_hash(disk)})
    done = publish_file(glance, disk, BODY, upload_hash=file_hash(disk))
    assert (done.image_id, done.resumed) == (left["id"], True)
    assert len(fake.images) == 1


def test_record_of_other_data_is_not_reused(disk):
    fake = FakeGlance()
    glance = client(fake)
    other = glance.create({**BODY, UPLOAD_HASH: "0" * 128})
    done = publish_file(glance, disk, BODY, upload_hash=file_hash(disk))
    assert done.image_id != other["id"]
    assert len(fake.images) == 2


def test_importing_record_is_waited_for_not_duplicated(disk):
    fake = FakeGlance()
    glance = client(fake)
    image = glance.create({**BODY, UPLOAD_HASH: file_hash(disk)})
    glance.send(image["id"], disk, stage=True, progress=None)
    glance.start_import(image["id"])
    done = publish_file(glance, disk, BODY, upload_hash=file_hash(disk))
    assert (done.image_id, done.method, done.resumed) == (image["id"], "none", True)


def test_failed_import_record_is_left_and_a_new_one_made(disk):
    fake = FakeGlance(import_outcome="fail")
    glance = client(fake)
    with pytest.raises(ImageError):
        publish_file(glance, disk, BODY, upload_hash=file_hash(disk))
    fake.import_outcome = "active"
    done = publish_file(glance, disk, BODY, upload_hash=file_hash(disk))
    assert not done.resumed
    assert len(fake.images) == 2


def test_policy_refusal_carries_glances_sentence_and_a_hint(disk):
    with pytest.raises(ImageError) as caught:
        publish_file(
            client(FakeGlance()), disk, {**BODY, "visibility": "public"},
            upload_hash=file_hash(disk),
        )  # fmt: skip
    assert "HTTP 403" in caught.value.message
    assert "publicize_image" in caught.value.message
    assert "admin role" in (caught.value.hint or "")


def test_record_of_another_project_is_not_reused_when_the_project_is_known(disk):
    fake = FakeGlance(project="p2")
    left = client(fake).create({**BODY, UPLOAD_HASH: file_hash(disk)})
    fake.project = "p1"
    mine = GlanceImages(fake, where="fake glance", project_id="p1")
    done = publish_file(mine, disk, BODY, upload_hash=file_hash(disk))
    assert done.image_id != left["id"]
    assert fake.images[done.image_id]["owner"] == "p1"
