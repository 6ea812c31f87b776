import pytest

from wincloud.agent.tree import DirTree, DriveTree, FilesTree, HttpTree, MemoryTree
from wincloud.errors import DriveError, SourceUnavailable
from wincloud.platform.fake import FakeFiles
from wincloud.tree import render_http

from .mdserver import serve


def test_memory_tree_derives_directories_from_paths():
    tree = MemoryTree({"openstack/latest/meta_data.json": b"{}", "openstack/2012-08-10/x": b""})
    assert tree.children("openstack") == ["2012-08-10/", "latest/"]
    assert tree.children("/openstack/latest/") == ["meta_data.json"]
    assert tree.read("openstack/latest/meta_data.json") == b"{}"
    assert tree.read("nothing") is None
    assert tree.children("nothing") == []


def test_memory_tree_prefers_an_explicit_listing(instance):
    tree = MemoryTree(render_http(instance))
    assert tree.children("latest/meta-data/public-keys") == ["0=mykey"]


def test_dot_dot_is_refused():
    with pytest.raises(SourceUnavailable):
        MemoryTree({}).read("openstack/../../etc/passwd")


def test_dir_tree_reads_files_and_lists(tmp_path):
    (tmp_path / "openstack/latest").mkdir(parents=True)
    (tmp_path / "openstack/latest/meta_data.json").write_bytes(b"{}")
    tree = DirTree(tmp_path)
    assert tree.read("openstack/latest/meta_data.json") == b"{}"
    assert tree.read("openstack/latest") is None
    assert tree.children("openstack") == ["latest/"]
    assert tree.children("missing") == []


def test_files_tree_reads_through_the_platform():
    files = FakeFiles()
    files.write("/seed/meta-data", b"instance-id: x\n")
    tree = FilesTree(files, "/seed")
    assert tree.read("meta-data") == b"instance-id: x\n"
    assert tree.children("") == ["meta-data"]


def test_drive_tree_reads_once(tmp_path):
    calls = []

    def reader(path):
        calls.append(path)
        return {"openstack/latest/meta_data.json": b"{}"}

    tree = DriveTree(tmp_path / "sr0", reader=reader)
    assert tree.read("openstack/latest/meta_data.json") == b"{}"
    assert tree.children("openstack") == ["latest/"]
    assert calls == [tmp_path / "sr0"]


def test_drive_tree_failure_is_unavailable(tmp_path):
    def reader(path):
        raise DriveError("not ISO nor FAT", subject=str(path))

    with pytest.raises(SourceUnavailable, match="not ISO nor FAT"):
        DriveTree(tmp_path / "sr0", reader=reader).read("x")


def test_http_tree_lists_and_reads(http_client, instance):
    with serve(render_http(instance)) as running:
        tree = HttpTree(http_client, running.url + "/", timeout=5)
        assert tree.children("openstack")[-1] == "latest"
        assert tree.read("openstack/latest/user_data") == instance.user_data
        assert tree.read("openstack/latest/nothing") is None
