"""FakeFiles: an in-memory file tree with modes and owners."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from wincloud.errors import PlatformError
from wincloud.platform.base import FileInfo


@dataclass
class _Node:
    mode: int
    owner: str | None
    data: bytes | None = None  # None: a directory


def normalize(path: str) -> str:
    """Guest path -> canonical key ('/etc/x'); Windows separators are accepted."""
    norm = posixpath.normpath("/" + path.replace("\\", "/").lstrip("/"))
    return "/" if norm == "//" else norm


class FakeFiles:
    def __init__(self) -> None:
        self.nodes: dict[str, _Node] = {"/": _Node(0o755, None)}
        self.user_exists: Callable[[str], bool] = lambda name: True

    def _check_owner(self, owner: str | None, path: str) -> None:
        if owner is not None and not self.user_exists(owner):
            raise PlatformError("no such user to own a file", operation="chown", subject=owner)

    def _parents(self, key: str) -> None:
        parent = posixpath.dirname(key)
        if parent != key and parent not in self.nodes:
            self._parents(parent)
            self.nodes[parent] = _Node(0o755, None)
        node = self.nodes.get(parent)
        if node is not None and node.data is not None:
            raise PlatformError("a parent is a file", operation="mkdir", subject=parent)

    def read(self, path: str) -> bytes | None:
        node = self.nodes.get(normalize(path))
        if node is not None and node.data is None:
            raise PlatformError("is a directory", operation="read", subject=path)
        return None if node is None else node.data

    def list_dir(self, path: str) -> list[str] | None:
        key = normalize(path)
        node = self.nodes.get(key)
        if node is None or node.data is not None:
            return None
        names = []
        for other, child in self.nodes.items():
            if other != key and posixpath.dirname(other) == key:
                base = posixpath.basename(other)
                names.append(base + "/" if child.data is None else base)
        return sorted(names)

    def write(self, path: str, data: bytes, *, mode: int = 0o644, owner: str | None = None) -> None:
        key = normalize(path)
        self._check_owner(owner, path)
        existing = self.nodes.get(key)
        if existing is not None and existing.data is None:
            raise PlatformError("is a directory", operation="write", subject=path)
        self._parents(key)
        self.nodes[key] = _Node(mode & 0o7777, owner, bytes(data))

    def make_dir(self, path: str, *, mode: int = 0o755, owner: str | None = None) -> None:
        key = normalize(path)
        self._check_owner(owner, path)
        existing = self.nodes.get(key)
        if existing is not None and existing.data is not None:
            raise PlatformError("a file is in the way", operation="mkdir", subject=path)
        self._parents(key)
        self.nodes[key] = _Node(mode & 0o7777, owner)

    def stat(self, path: str) -> FileInfo | None:
        node = self.nodes.get(normalize(path))
        if node is None:
            return None
        size = 0 if node.data is None else len(node.data)
        return FileInfo(mode=node.mode, owner=node.owner, size=size, is_dir=node.data is None)

    def remove(self, path: str) -> bool:
        key = normalize(path)
        node = self.nodes.get(key)
        if node is None:
            return False
        if node.data is None:
            raise PlatformError("is a directory", operation="remove", subject=path)
        del self.nodes[key]
        return True
