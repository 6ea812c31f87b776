"""The image cache on the host: streamed once, checked, cleaned up."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.unit.hyperv.nova.conftest import IMAGE_ID, chunks_of
from wincloud.errors import HostOperationFailed, ImageError
from wincloud.hyperv.fake import FakeHost
from wincloud.hyperv.host import VhdType
from wincloud.hyperv.nova.imagecache import ImageCache
from wincloud.hyperv.nova.plan import ImageFacts

BASE = f"C:\\Hyper-V\\_base\\{IMAGE_ID}.vhdx"


class Glance:
    """Counts downloads; each one streams the image in chunks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.downloads = 0

    def __call__(self) -> list[bytes]:
        self.downloads += 1
        return chunks_of(self.data)


def test_first_fetch_streams_the_image_into_the_cache_folder(cache, host, image, vhdx_bytes):
    glance = Glance(vhdx_bytes)

    path, fetched = cache.fetch(image, "C:\\Hyper-V", glance)

    assert (path, fetched) == (BASE, True)
    assert host.read_file(BASE, max_bytes=len(vhdx_bytes) + 1) == vhdx_bytes
    assert host.get_vhd(BASE).vhd_type is VhdType.DYNAMIC


def test_second_fetch_uses_the_cached_copy(cache, image, vhdx_bytes):
    glance = Glance(vhdx_bytes)
    cache.fetch(image, "C:\\Hyper-V", glance)

    path, fetched = cache.fetch(image, "C:\\Hyper-V", glance)

    assert (path, fetched, glance.downloads) == (BASE, False, 1)


def test_a_copy_cut_short_earlier_is_replaced(cache, host, image, vhdx_bytes):
    host.make_dir("C:\\Hyper-V\\_base")
    host.write_file(BASE, [vhdx_bytes[:4096]])

    _, fetched = cache.fetch(image, "C:\\Hyper-V", Glance(vhdx_bytes))

    assert fetched
    assert host.read_file(BASE, max_bytes=len(vhdx_bytes) + 1) == vhdx_bytes


def test_a_stream_shorter_than_glance_said_leaves_no_file(cache, host, image, vhdx_bytes):
    with pytest.raises(ImageError, match="cut short"):
        cache.fetch(image, "C:\\Hyper-V", Glance(vhdx_bytes[: len(vhdx_bytes) // 2]))

    assert not host.file_exists(BASE)


def test_data_that_is_not_a_virtual_disk_leaves_no_file(cache, host):
    junk = b"<html>proxy error</html>" * 100
    image = ImageFacts(image_id=IMAGE_ID, disk_format="vhdx", size_bytes=len(junk))

    with pytest.raises(HostOperationFailed):
        cache.fetch(image, "C:\\Hyper-V", Glance(junk))

    assert not host.file_exists(BASE)


def test_a_failing_download_leaves_no_file(cache, host, image):
    def broken():
        yield b"vhdxfile" + b"\0" * 1000
        raise ConnectionError("glance went away")

    with pytest.raises(ConnectionError):
        cache.fetch(image, "C:\\Hyper-V", broken)

    assert not host.file_exists(BASE)


def test_progress_is_logged_with_the_rate(cache, image, vhdx_bytes, caplog):
    caplog.set_level(logging.INFO, logger="wincloud.hyperv.nova.imagecache")

    cache.fetch(image, "C:\\Hyper-V", Glance(vhdx_bytes))

    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("image copy image=") and "mb_per_s=" in m for m in messages)
    assert any(m.startswith("image copied image=") for m in messages)


def test_cleanup_removes_unused_bases_and_keeps_used_and_held_ones(host, settings, vhdx_bytes):
    clock_now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    host_at_past = FakeHost(hostname="HV01", clock=lambda: clock_now - dt.timedelta(days=3))
    cache = ImageCache(host_at_past, settings)
    ids = ["11111111-aaaa", "22222222-bbbb", "33333333-cccc"]
    for image_id in ids:
        facts = ImageFacts(image_id=image_id, disk_format="vhdx", size_bytes=len(vhdx_bytes))
        cache.fetch(facts, "C:\\Hyper-V", Glance(vhdx_bytes))
    host_at_past.make_dir("C:\\Hyper-V\\vm1")
    host_at_past.new_diff_vhd(f"C:\\Hyper-V\\_base\\{ids[2]}.vhdx", "C:\\Hyper-V\\vm1\\root.vhdx")

    removed = cache.remove_unused("C:\\Hyper-V", {ids[0]}, now=clock_now, min_age_s=86400)

    assert removed == [f"C:\\Hyper-V\\_base\\{ids[1]}.vhdx"]
    names = {e.name for e in host_at_past.list_dir("C:\\Hyper-V\\_base")}
    assert names == {f"{ids[0]}.vhdx", f"{ids[2]}.vhdx"}


def test_cleanup_keeps_young_bases(cache, image, vhdx_bytes):
    cache.fetch(image, "C:\\Hyper-V", Glance(vhdx_bytes))

    removed = cache.remove_unused("C:\\Hyper-V", set(), now=dt.datetime.now(dt.UTC), min_age_s=3600)

    assert removed == []


def test_cleanup_without_a_cache_folder_does_nothing(cache):
    assert cache.remove_unused("C:\\Hyper-V", set(), now=dt.datetime.now(dt.UTC), min_age_s=0) == []
