"""A VHDX left with a log to replay: refused for writing, replayed in memory for reading."""

from __future__ import annotations

import struct
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.hyperv.vhd.conftest import MiB
from wincloud.hyperv.vhd import VhdError, VhdxImage, check, open_disk
from wincloud.hyperv.vhd import vhdx_format as fmt
from wincloud.hyperv.vhd.crc32c import crc32c
from wincloud.hyperv.vhd.vhdx_create import create_vhdx

SECTOR = 4096


def log_entry(guid, sequence, tail, descriptors):
    """One log entry: descriptors are ("data", offset, 4 KiB) or ("zero", offset, length)."""
    data_count = sum(1 for kind, *_ in descriptors if kind == "data")
    head = -(-(64 + 32 * len(descriptors)) // SECTOR) * SECTOR
    raw = bytearray(head + data_count * SECTOR)
    struct.pack_into("<4sIIIQII16sQQ", raw, 0, b"loge", 0, len(raw), tail, sequence,
                     len(descriptors), 0, guid.bytes_le, 0, 0)  # fmt: skip
    data_at = head
    for index, (kind, offset, value) in enumerate(descriptors):
        at = 64 + 32 * index
        if kind == "zero":
            struct.pack_into("<4sIQQQ", raw, at, b"zero", 0, value, offset, sequence)
            continue
        leading = int.from_bytes(value[:8], "little")
        trailing = int.from_bytes(value[-4:], "little")
        struct.pack_into("<4sIQQQ", raw, at, b"desc", trailing, leading, offset, sequence)
        sector = b"data" + struct.pack("<I", sequence >> 32) + value[8:-4]
        raw[data_at : data_at + SECTOR] = sector + struct.pack("<I", sequence & 0xFFFFFFFF)
        data_at += SECTOR
    struct.pack_into("<I", raw, 4, crc32c(raw))
    return bytes(raw)


@pytest.fixture
def dirty(tmp_path):
    """A disk whose block 0 holds 'A', plus 'B' data at the end of the file that only a logged
    (never flushed) BAT update points to; returns (path, new payload offset, log writer)."""
    path = tmp_path / "dirty.vhdx"
    with create_vhdx(path, 16 * MiB, block_size=MiB) as disk:
        disk.write(0, b"A" * MiB)
    with VhdxImage.open(path) as disk:
        header, slot = disk.header, disk.header_slot
        bat_offset = disk.regions[fmt.BAT_REGION].offset
        bat_sector = bytearray(disk.pread(bat_offset, SECTOR, "bat"))
    new_payload = path.stat().st_size
    with path.open("r+b") as fh:
        fh.seek(new_payload)
        fh.write(b"B" * MiB)
    struct.pack_into("<Q", bat_sector, 0, new_payload | fmt.FULLY_PRESENT)
    log_guid = uuid.uuid4()

    def write_log(entries):
        with path.open("r+b") as fh:
            position = header.log_offset
            for entry in entries:
                fh.seek(position)
                fh.write(entry)
                position += len(entry)
            fh.seek(fmt.HEADER_OFFSETS[slot])
            fh.write(replace(header, log_guid=log_guid).pack())

    return path, log_guid, bat_offset, bytes(bat_sector), new_payload, write_log


def test_a_logged_bat_update_is_replayed_for_reading_only(dirty):
    path, guid, bat_offset, bat_sector, _, write_log = dirty
    write_log([log_entry(guid, 7, 0, [("data", bat_offset, bat_sector)])])
    before = path.read_bytes()
    with open_disk(path) as disk:
        assert disk.read(0, 16) == b"B" * 16
    assert path.read_bytes() == before  # nothing written
    with pytest.raises(VhdError, match="log holds 1 entries") as caught:
        open_disk(path, writable=True)
    assert "read-only" in (caught.value.hint or "")
    assert any("replayed in memory" in problem for problem in check(path))


def test_entries_replay_in_sequence_order_from_the_tail(dirty):
    path, guid, bat_offset, bat_sector, payload, write_log = dirty
    first = log_entry(guid, 7, 0, [("data", bat_offset, bat_sector)])
    second = log_entry(guid, 8, 0, [("zero", payload, SECTOR)])
    write_log([first, second])
    with open_disk(path) as disk:
        assert disk.read(0, SECTOR + 4) == bytes(SECTOR) + b"BBBB"


def test_entries_before_the_tail_are_not_replayed(dirty):
    path, guid, bat_offset, bat_sector, payload, write_log = dirty
    first = log_entry(guid, 7, 0, [("data", bat_offset, bat_sector)])
    second = log_entry(guid, 8, len(first), [("zero", payload + SECTOR, SECTOR)])
    write_log([first, second])
    with open_disk(path) as disk:  # only the zeroing replays: the BAT still points at 'A'
        assert disk.read(0, 4) == b"AAAA"


def test_a_data_sector_with_the_wrong_sequence_is_an_error(dirty):
    path, guid, bat_offset, bat_sector, _, write_log = dirty
    entry = bytearray(log_entry(guid, 7, 0, [("data", bat_offset, bat_sector)]))
    entry[SECTOR + 4] ^= 1  # SequenceHigh of the data sector
    struct.pack_into("<I", entry, 4, 0)
    struct.pack_into("<I", entry, 4, crc32c(entry))
    write_log([bytes(entry)])
    with pytest.raises(VhdError, match="data sector 0 is bad"):
        open_disk(path)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_logs_are_replayed_or_refused(dirty, data):
    path, guid, bat_offset, bat_sector, payload, write_log = dirty
    first = log_entry(guid, 7, 0, [("data", bat_offset, bat_sector)])
    second = log_entry(guid, 8, 0, [("zero", payload, SECTOR), ("data", payload, b"C" * SECTOR)])
    write_log([first, second])
    original = path.read_bytes()
    raw = bytearray(original)
    log_at = MiB  # the log region of a file we create
    for _ in range(data.draw(st.integers(1, 6))):
        offset = log_at + data.draw(st.integers(0, len(first) + len(second) - 1))
        raw[offset] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):  # re-seal the entries so the parser behind the CRC runs
        for start, length in ((log_at, len(first)), (log_at + len(first), len(second))):
            entry = bytearray(raw[start : start + length])
            entry[4:8] = bytes(4)
            struct.pack_into("<I", raw, start + 4, crc32c(entry))
    path.write_bytes(bytes(raw))
    try:
        with open_disk(path) as disk:
            disk.read(0, disk.virtual_size)
    except VhdError:
        pass
    finally:
        path.write_bytes(original)
