"""Registry hives through libhivex: typed values, key paths, and edits on a working copy.

``Hive.open(path)`` reads; ``edit_hive(path)`` copies the file, lets the caller edit the copy
and writes it back over the original only when something changed (so an edit that finds
everything in place leaves the file byte-for-byte alone). Key paths are backslash-separated and
relative to the hive root (``ControlSet001\\Services\\viostor``); names compare case-insensitively.
"""

from __future__ import annotations

import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from wincloud.errors import ImageError
from wincloud.image.disk._hivex import HivexHandle

log = logging.getLogger(__name__)


class RegType(IntEnum):
    NONE = 0
    SZ = 1
    EXPAND_SZ = 2
    BINARY = 3
    DWORD = 4
    DWORD_BIG_ENDIAN = 5
    LINK = 6
    MULTI_SZ = 7
    RESOURCE_LIST = 8
    FULL_RESOURCE_DESCRIPTOR = 9
    RESOURCE_REQUIREMENTS_LIST = 10
    QWORD = 11


@dataclass(frozen=True)
class RegValue:
    """A registry value: its type number and its raw bytes, as stored in the hive."""

    type: int
    data: bytes

    @classmethod
    def sz(cls, text: str, *, expand: bool = False) -> RegValue:
        kind = RegType.EXPAND_SZ if expand else RegType.SZ
        return cls(kind, (text + "\0").encode("utf-16-le"))

    @classmethod
    def dword(cls, number: int) -> RegValue:
        return cls(RegType.DWORD, struct.pack("<I", number & 0xFFFFFFFF))

    @classmethod
    def qword(cls, number: int) -> RegValue:
        return cls(RegType.QWORD, struct.pack("<Q", number & 0xFFFFFFFFFFFFFFFF))

    @classmethod
    def multi_sz(cls, items: Sequence[str]) -> RegValue:
        text = "".join(item + "\0" for item in items) + "\0"
        return cls(RegType.MULTI_SZ, text.encode("utf-16-le"))

    @classmethod
    def binary(cls, data: bytes) -> RegValue:
        return cls(RegType.BINARY, data)

    def as_str(self) -> str | None:
        """The text of an SZ/EXPAND_SZ/LINK value (up to the first NUL); None for other types."""
        if self.type not in (RegType.SZ, RegType.EXPAND_SZ, RegType.LINK):
            return None
        data = self.data[: len(self.data) - len(self.data) % 2]
        return data.decode("utf-16-le", "replace").split("\0", 1)[0]

    def as_int(self) -> int | None:
        if self.type == RegType.DWORD and len(self.data) >= 4:
            return int(struct.unpack_from("<I", self.data)[0])
        if self.type == RegType.DWORD_BIG_ENDIAN and len(self.data) >= 4:
            return int(struct.unpack_from(">I", self.data)[0])
        if self.type == RegType.QWORD and len(self.data) >= 8:
            return int(struct.unpack_from("<Q", self.data)[0])
        return None

    def as_list(self) -> list[str] | None:
        if self.type != RegType.MULTI_SZ:
            return None
        data = self.data[: len(self.data) - len(self.data) % 2]
        return [item for item in data.decode("utf-16-le", "replace").split("\0") if item]


def split_key(path: str) -> list[str]:
    return [part for part in path.replace("/", "\\").split("\\") if part]


class Hive:
    """An open hive. Reads are always allowed; edits need ``write=True`` and ``commit()``."""

    def __init__(self, handle: HivexHandle, *, write: bool) -> None:
        self._h = handle
        self.write = write
        self.changed = False

    @classmethod
    @contextmanager
    def open(cls, path: Path, *, write: bool = False) -> Iterator[Hive]:
        with HivexHandle(path, write=write) as handle:
            yield cls(handle, write=write)

    # -- reading ---------------------------------------------------------------------------
    def _node(self, path: str) -> int | None:
        node = self._h.root()
        for part in split_key(path):
            child = self._h.node_get_child(node, part)
            if child is None:
                return None
            node = child
        return node

    def has_key(self, path: str) -> bool:
        return self._node(path) is not None

    def subkeys(self, path: str) -> list[str]:
        """Names of the subkeys of ``path`` (empty when the key is absent)."""
        node = self._node(path)
        if node is None:
            return []
        return [self._h.node_name(child) for child in self._h.node_children(node)]

    def _values(self, node: int) -> list[tuple[str, RegValue]]:
        out = []
        for value in self._h.node_values(node):
            kind, data = self._h.value_value(value)
            out.append((self._h.value_key(value), RegValue(kind, data)))
        return out

    def values(self, path: str) -> dict[str, RegValue] | None:
        """All values of a key (``""`` is the default value); None when the key is absent."""
        node = self._node(path)
        return None if node is None else dict(self._values(node))

    def find_value(self, path: str, name: str) -> RegValue | None:
        node = self._node(path)
        if node is None:
            return None
        value = self._h.node_get_value(node, name)
        if value is None:
            return None
        kind, data = self._h.value_value(value)
        return RegValue(kind, data)

    def find_str(self, path: str, name: str) -> str | None:
        value = self.find_value(path, name)
        return value.as_str() if value is not None else None

    def find_int(self, path: str, name: str) -> int | None:
        value = self.find_value(path, name)
        return value.as_int() if value is not None else None

    # -- editing ---------------------------------------------------------------------------
    def _need_write(self) -> None:
        if not self.write:
            raise ImageError("the hive was opened read-only", subject=str(self._h.path))

    def ensure_key(self, path: str) -> bool:
        """Create ``path`` and its parents; True when something was created."""
        self._need_write()
        node = self._h.root()
        created = False
        for part in split_key(path):
            child = self._h.node_get_child(node, part)
            if child is None:
                child = self._h.node_add_child(node, part)
                created = True
            node = child
        self.changed |= created
        return created

    def set_value(self, path: str, name: str, value: RegValue) -> bool:
        """Set one value (creating the key); True when the hive changed."""
        self.ensure_key(path)
        node = self._node(path)
        assert node is not None
        current = self._values(node)
        for i, (key, old) in enumerate(current):
            if key.lower() == name.lower():
                if old == value:
                    return False
                current[i] = (key, value)
                break
        else:
            current.append((name, value))
        self._h.node_set_values(node, [(k, v.type, v.data) for k, v in current])
        self.changed = True
        return True

    def delete_value(self, path: str, name: str) -> bool:
        self._need_write()
        node = self._node(path)
        if node is None:
            return False
        current = self._values(node)
        kept = [(k, v) for k, v in current if k.lower() != name.lower()]
        if len(kept) == len(current):
            return False
        self._h.node_set_values(node, [(k, v.type, v.data) for k, v in kept])
        self.changed = True
        return True

    def delete_key(self, path: str) -> bool:
        self._need_write()
        if not split_key(path):
            raise ImageError("refusing to delete the root key", subject=str(self._h.path))
        node = self._node(path)
        if node is None:
            return False
        self._h.node_delete_child(node)
        self.changed = True
        return True

    def commit(self) -> None:
        self._need_write()
        self._h.commit()


@contextmanager
def edit_hive(path: Path) -> Iterator[Hive]:
    """Edit a hive file through a working copy, written back atomically if anything changed.

    An exception inside the block leaves the original untouched.
    """
    with tempfile.TemporaryDirectory(prefix="wincloud-hive-") as tmp:
        work = Path(tmp) / path.name
        shutil.copyfile(path, work)
        with Hive.open(work, write=True) as hive:
            yield hive
            if not hive.changed:
                return
            hive.commit()
        staged = path.with_name(f".{path.name}.wincloud-new")
        shutil.copyfile(work, staged)
        os.replace(staged, path)
        log.info("hive written path=%s", path)
