"""Chunk iterators as file objects, and local files as chunks."""

from __future__ import annotations

import io

from wincloud.hyperv.nova.transfer import ChunkReader, file_chunks


def test_chunk_reader_reads_across_chunk_boundaries_in_any_size():
    reader = ChunkReader([b"abc", b"", b"defgh", b"i"])

    assert reader.read(2) == b"ab"
    assert reader.read(4) == b"cdef"
    assert reader.read() == b"ghi"
    assert reader.read(1) == b""
    assert reader.bytes_read == 9


def test_chunk_reader_pulls_lazily():
    pulled = []

    def chunks():
        for part in (b"one", b"two", b"three"):
            pulled.append(part)
            yield part

    reader = ChunkReader(chunks())
    reader.read(3)

    assert pulled == [b"one"]


def test_chunk_reader_works_with_buffered_readers():
    data = bytes(range(256)) * 1000

    buffered = io.BufferedReader(ChunkReader([data[i : i + 999] for i in range(0, len(data), 999)]))

    assert buffered.read() == data


def test_file_chunks_splits_a_file(tmp_path):
    path = tmp_path / "cd.iso"
    path.write_bytes(b"x" * 10)

    assert list(file_chunks(path, 4)) == [b"xxxx", b"xxxx", b"xx"]
