"""Our format check before upload (the headers Glance 33's inspector reads) and the qemu-img
command publish runs when the data is not what the spec publishes."""

from __future__ import annotations

import struct

import pytest

from wincloud.errors import ImageError
from wincloud.image.glance_format import (
    check_upload,
    convert,
    convert_argv,
    detect_format,
    needs_conversion,
)
from wincloud.platform.fake.processes import FakeProcesses
from wincloud.platform.values import Completed


def qcow2_header(*, version=3, backing=0, incompatible=0, header_length=112, compression=0):
    head = bytearray(512)
    head[0:4] = b"QFI\xfb"
    struct.pack_into(">IQ", head, 4, version, backing)
    struct.pack_into(">Q", head, 72, incompatible)
    struct.pack_into(">I", head, 100, header_length)
    head[104] = compression
    return bytes(head)


@pytest.fixture
def write(tmp_path):
    def make(data: bytes, name: str = "disk.img"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


def test_plain_qcow2_is_qcow2_with_zlib(write):
    found = detect_format(write(qcow2_header()))
    assert (found.name, found.backing_file, found.data_file) == ("qcow2", False, False)
    assert found.compression == "zlib"


def test_qcow2_with_zstd_compression_type(write):
    assert detect_format(write(qcow2_header(compression=1))).compression == "zstd"


def test_qcow2_backing_file_is_seen(write):
    assert detect_format(write(qcow2_header(backing=0x200))).backing_file


def test_qcow2_external_data_file_is_seen(write):
    assert detect_format(write(qcow2_header(incompatible=1 << 2))).data_file


def test_qcow2_version_2_has_no_feature_fields(write):
    found = detect_format(write(qcow2_header(version=2, incompatible=1 << 2)))
    assert (found.name, found.data_file) == ("qcow2", False)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"vhdxfile" + bytes(1024), "vhdx"),
        (b"conectix" + bytes(1024), "vpc"),
        (bytes(1024) + b"conectix" + bytes(504), "vpc"),
        (b"KDMV" + bytes(1024), "vmdk"),
        (b"\x00" * 4096, "raw"),
        (b"\xebR\x90NTFS    " + bytes(2048), "raw"),
    ],
)
def test_other_formats_by_magic(write, data, name):
    assert detect_format(write(data)).name == name


def test_raw_data_labelled_qcow2_is_refused_naming_the_file(write):
    path = write(bytes(4096), "image.qcow2")
    with pytest.raises(ImageError) as caught:
        check_upload(path, "qcow2")
    assert caught.value.subject == str(path)
    assert "raw data, not qcow2" in caught.value.message


def test_qcow2_with_backing_file_is_refused(write):
    with pytest.raises(ImageError, match="backing file"):
        check_upload(write(qcow2_header(backing=0x200)), "qcow2")


def test_matching_qcow2_passes(write):
    assert check_upload(write(qcow2_header()), "qcow2").name == "qcow2"


def test_unreadable_file_is_an_image_error(tmp_path):
    with pytest.raises(ImageError, match="cannot read"):
        detect_format(tmp_path / "missing.qcow2")


def test_conversion_needed_for_other_format_backing_or_zstd(write):
    plain = detect_format(write(qcow2_header()))
    assert not needs_conversion(plain, "qcow2", "none")
    assert needs_conversion(plain, "qcow2", "zstd")
    assert needs_conversion(plain, "raw", "none")
    assert not needs_conversion(detect_format(write(qcow2_header(compression=1))), "qcow2", "zstd")
    assert needs_conversion(detect_format(write(qcow2_header(backing=8))), "qcow2", "none")


def test_zstd_argv_compresses_qcow2(tmp_path):
    argv = convert_argv(tmp_path / "a.raw", tmp_path / "b.qcow2", "qcow2", "zstd")
    assert argv[:5] == ["qemu-img", "convert", "-q", "-O", "qcow2"]
    assert argv[5:8] == ["-c", "-o", "compression_type=zstd"]


def test_zstd_with_raw_output_is_refused(tmp_path):
    with pytest.raises(ImageError) as caught:
        convert_argv(tmp_path / "a", tmp_path / "b", "raw", "zstd")
    assert caught.value.subject == "publish.compression"


def test_failed_qemu_img_says_why(tmp_path):
    def failing(argv, stdin):
        return Completed(tuple(argv), 1, b"", b"qemu-img: Could not open 'a': No such file\n")

    fake = FakeProcesses({"qemu-img": failing})
    with pytest.raises(ImageError, match="Could not open"):
        convert(fake, tmp_path / "a", tmp_path / "b", "qcow2", "none")
    assert [r.argv[:2] for r in fake.ran] == [("qemu-img", "convert")]


def test_missing_qemu_img_hints_at_the_package(tmp_path):
    with pytest.raises(ImageError) as caught:
        convert(FakeProcesses(), tmp_path / "a", tmp_path / "b", "qcow2", "none")
    assert "qemu-utils" in (caught.value.hint or "")
