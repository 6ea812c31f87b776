"""PSRP framing for the replay server, written from [MS-PSRP] 2.2.4 (fragments) and 2.2.1
(messages): the server side of what pypsrp sends and expects. Independent of pypsrp's code.

Fragment: ObjectId (u64 BE) | FragmentId (u64 BE) | flags (S=1, E=2) | BlobLength (u32 BE) | blob.
Message:  Destination (u32 LE: 1 client, 2 server) | MessageType (u32 LE) | RPID (GUID, LE bytes)
          | PID (GUID) | data (UTF-8 with BOM: CLIXML).
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

SESSION_CAPABILITY = 0x00010002
INIT_RUNSPACEPOOL = 0x00010004
RUNSPACEPOOL_STATE = 0x00021005
CREATE_PIPELINE = 0x00021006
PIPELINE_INPUT = 0x00041002
END_OF_PIPELINE_INPUT = 0x00041003
PIPELINE_OUTPUT = 0x00041004
ERROR_RECORD = 0x00041005
PIPELINE_STATE = 0x00041006

TO_CLIENT = 1
BOM = b"\xef\xbb\xbf"
_HEADER = struct.Struct(">QQBI")


@dataclass
class Message:
    destination: int
    message_type: int
    rpid: uuid.UUID
    pid: uuid.UUID
    xml: str


def pack_message(message_type: int, rpid: uuid.UUID, pid: uuid.UUID, xml: str) -> bytes:
    return (
        struct.pack("<II", TO_CLIENT, message_type)
        + rpid.bytes_le
        + pid.bytes_le
        + BOM
        + xml.encode("utf-8")
    )


def unpack_message(blob: bytes) -> Message:
    destination, message_type = struct.unpack_from("<II", blob, 0)
    rpid = uuid.UUID(bytes_le=blob[8:24])
    pid = uuid.UUID(bytes_le=blob[24:40])
    data = blob[40:]
    if data.startswith(BOM):
        data = data[3:]
    return Message(destination, message_type, rpid, pid, data.decode("utf-8"))


def fragment(object_id: int, blob: bytes, max_blob: int = 32_768) -> bytes:
    """One message as one or more fragments, concatenated."""
    out = bytearray()
    parts = [blob[i : i + max_blob] for i in range(0, len(blob), max_blob)] or [b""]
    for index, part in enumerate(parts):
        flags = (1 if index == 0 else 0) | (2 if index == len(parts) - 1 else 0)
        out += _HEADER.pack(object_id, index, flags, len(part)) + part
    return bytes(out)


class Defragmenter:
    """Collects fragments (possibly spread over several Send requests) into message blobs."""

    def __init__(self) -> None:
        self._partial: dict[int, bytearray] = {}

    def feed(self, data: bytes) -> list[bytes]:
        done: list[bytes] = []
        offset = 0
        while offset < len(data):
            if len(data) - offset < _HEADER.size:
                raise ValueError("truncated PSRP fragment header")
            object_id, _fragment_id, flags, length = _HEADER.unpack_from(data, offset)
            offset += _HEADER.size
            blob = data[offset : offset + length]
            offset += length
            if flags & 1:
                self._partial[object_id] = bytearray()
            self._partial.setdefault(object_id, bytearray()).extend(blob)
            if flags & 2:
                done.append(bytes(self._partial.pop(object_id)))
        return done
