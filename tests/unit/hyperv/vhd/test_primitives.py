"""CRC-32C, sizes and sector bitmaps."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wincloud.errors import ConfigError
from wincloud.hyperv.vhd.bits import bitmap_segments, runs, set_bits
from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.sizes import format_size, parse_size
from wincloud.hyperv.vhd.vhd_format import geometry


def test_crc32c_matches_the_castagnoli_check_value():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"56789", crc32c(b"1234")) == 0xE3069283


@pytest.mark.parametrize(
    ("text", "value"),
    [("40G", 40 << 30), ("512M", 512 << 20), ("1T", 1 << 40), ("4096", 4096), ("2MiB", 2 << 20)],
)
def test_sizes_parse_binary_units(text, value):
    assert parse_size(text) == value


def test_bad_size_is_a_config_error_naming_the_field():
    with pytest.raises(ConfigError) as caught:
        parse_size("12Q", field="--size")
    assert caught.value.subject == "--size"


def test_format_size_picks_the_largest_whole_unit():
    assert format_size(40 << 30) == "40G"
    assert format_size(1536 << 20) == "1536M"
    assert format_size(1000) == "1000"


def test_geometry_follows_the_specification_examples():
    assert geometry(65535 * 16 * 255 * 512) == (65535, 16, 255)
    cyl, heads, spt = geometry(127 << 30)
    assert (heads, spt) == (16, 255)
    assert cyl * heads * spt * 512 <= 127 << 30


def naive(bitmap: bytes, start: int, count: int, msb_first: bool) -> list[bool]:
    out = []
    for index in range(start, start + count):
        shift = 7 - index % 8 if msb_first else index % 8
        out.append(bool(bitmap[index // 8] >> shift & 1))
    return out


@settings(max_examples=60, deadline=None)
@given(
    bitmap=st.binary(min_size=8, max_size=32),
    msb_first=st.booleans(),
    data=st.data(),
)
def test_runs_agree_with_bit_by_bit_reading(bitmap, msb_first, data):
    total = len(bitmap) * 8
    start = data.draw(st.integers(0, total - 1))
    count = data.draw(st.integers(1, total - start))
    expanded = []
    for present, n in runs(bitmap, start, count, msb_first=msb_first):
        expanded += [present] * n
    assert expanded == naive(bitmap, start, count, msb_first)


@settings(max_examples=60, deadline=None)
@given(msb_first=st.booleans(), data=st.data())
def test_set_bits_sets_exactly_the_range(msb_first, data):
    bitmap = bytearray(16)
    start = data.draw(st.integers(0, 127))
    count = data.draw(st.integers(1, 128 - start))
    set_bits(bitmap, start, count, msb_first=msb_first)
    bits = naive(bytes(bitmap), 0, 128, msb_first)
    assert bits == [start <= i < start + count for i in range(128)]


def test_bitmap_segments_clip_unaligned_ranges():
    bitmap = bytes([0b00000010])  # LSB first: sector 1 present
    found = bitmap_segments(
        bitmap, 100, 1000, sector=512, msb_first=False, data_start=10_000, absent=-2
    )
    segments = list(found)
    assert segments == [(412, -2), (512, 10_000 + 512), (76, -2)]


def bytewise_crc32c(data: bytes) -> int:
    register = 0xFFFFFFFF
    for byte in data:
        register ^= byte
        for _ in range(8):
            register = (register >> 1) ^ 0x82F63B78 if register & 1 else register >> 1
    return register ^ 0xFFFFFFFF


@settings(max_examples=60, deadline=None)
@given(head=st.binary(max_size=64), zeros=st.integers(0, 5000), tail=st.binary(max_size=8))
def test_crc32c_zero_runs_match_the_bitwise_definition(head, zeros, tail):
    data = head + bytes(zeros) + tail
    assert crc32c(data) == bytewise_crc32c(data)
