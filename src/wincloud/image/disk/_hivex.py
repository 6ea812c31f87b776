"""Thin ctypes bindings to Debian's libhivex (``libhivex.so.0``): one method per C call, no
decisions. The only module of ``wincloud.image`` that imports ctypes.

Names and value keys cross the boundary as UTF-8 (hivex converts the hive's UTF-16/Latin-1
names); value data crosses as raw bytes with its registry type. hivex compares child and
value names case-insensitively, as Windows does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
from pathlib import Path
from typing import Final

from wincloud.errors import ImageError

OPEN_WRITE: Final = 4

_size_t = ctypes.c_size_t
_p = ctypes.c_void_p


class _SetValue(ctypes.Structure):
    _fields_ = (
        ("key", ctypes.c_char_p),
        ("t", ctypes.c_int),
        ("len", _size_t),
        ("value", ctypes.c_char_p),
    )


@functools.cache
def _lib() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    try:
        lib = ctypes.CDLL("libhivex.so.0", use_errno=True)
    except OSError as exc:
        raise ImageError(
            "libhivex is not installed",
            subject="libhivex.so.0",
            hint="install it: apt-get install libhivex0 (Debian) or hivex (Fedora)",
        ) from exc
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    libc.free.argtypes = (_p,)
    libc.free.restype = None
    sig: dict[str, tuple[tuple[object, ...], object]] = {
        "hivex_open": ((ctypes.c_char_p, ctypes.c_int), _p),
        "hivex_close": ((_p,), ctypes.c_int),
        "hivex_root": ((_p,), _size_t),
        "hivex_node_name": ((_p, _size_t), _p),
        "hivex_node_children": ((_p, _size_t), _p),
        "hivex_node_get_child": ((_p, _size_t, ctypes.c_char_p), _size_t),
        "hivex_node_values": ((_p, _size_t), _p),
        "hivex_node_get_value": ((_p, _size_t, ctypes.c_char_p), _size_t),
        "hivex_value_key": ((_p, _size_t), _p),
        "hivex_value_value": (
            (_p, _size_t, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(_size_t)),
            _p,
        ),
        "hivex_node_add_child": ((_p, _size_t, ctypes.c_char_p), _size_t),
        "hivex_node_delete_child": ((_p, _size_t), ctypes.c_int),
        "hivex_node_set_value": (
            (_p, _size_t, ctypes.POINTER(_SetValue), ctypes.c_int),
            ctypes.c_int,
        ),
        "hivex_node_set_values": (
            (_p, _size_t, _size_t, ctypes.POINTER(_SetValue), ctypes.c_int),
            ctypes.c_int,
        ),
        "hivex_commit": ((_p, ctypes.c_char_p, ctypes.c_int), ctypes.c_int),
    }
    for name, (argtypes, restype) in sig.items():
        func = getattr(lib, name)
        func.argtypes = argtypes
        func.restype = restype
    return lib, libc


class HivexHandle:
    """An open hive file; ``close()`` (or the context manager) releases it."""

    def __init__(self, path: Path, *, write: bool) -> None:
        self._lib, self._libc = _lib()
        self.path = path
        handle = self._lib.hivex_open(os.fsencode(path), OPEN_WRITE if write else 0)
        if not handle:
            raise self._error("cannot open the hive")
        self._h: int | None = handle

    def __enter__(self) -> HivexHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._h is not None:
            self._lib.hivex_close(self._h)
            self._h = None

    def _handle(self) -> int:
        if self._h is None:
            raise ImageError("the hive is closed", subject=str(self.path))
        return self._h

    def _error(self, what: str) -> ImageError:
        code = ctypes.get_errno()
        detail = os.strerror(code) if code else "unknown error"
        return ImageError(f"{what} ({detail})", subject=str(self.path))

    def _take_string(self, ptr: int | None, what: str) -> str:
        if not ptr:
            raise self._error(what)
        try:
            return ctypes.string_at(ptr).decode("utf-8", "surrogateescape")
        finally:
            self._libc.free(ptr)

    def _take_handles(self, ptr: int | None, what: str) -> list[int]:
        if not ptr:
            raise self._error(what)
        try:
            array = ctypes.cast(ptr, ctypes.POINTER(_size_t))
            out: list[int] = []
            for i in range(1 << 20):  # bounded: a node has far fewer children or values
                if array[i] == 0:
                    break
                out.append(int(array[i]))
            return out
        finally:
            self._libc.free(ptr)

    def root(self) -> int:
        node = int(self._lib.hivex_root(self._handle()))
        if not node:
            raise self._error("the hive has no root key")
        return node

    def node_name(self, node: int) -> str:
        return self._take_string(self._lib.hivex_node_name(self._handle(), node), "bad key name")

    def node_children(self, node: int) -> list[int]:
        ptr = self._lib.hivex_node_children(self._handle(), node)
        return self._take_handles(ptr, "cannot list subkeys")

    def node_get_child(self, node: int, name: str) -> int | None:
        ctypes.set_errno(0)
        child = int(self._lib.hivex_node_get_child(self._handle(), node, name.encode()))
        if child:
            return child
        if ctypes.get_errno() not in (0, errno.ENOENT):
            raise self._error(f"cannot look up key {name!r}")
        return None

    def node_values(self, node: int) -> list[int]:
        ptr = self._lib.hivex_node_values(self._handle(), node)
        return self._take_handles(ptr, "cannot list values")

    def node_get_value(self, node: int, key: str) -> int | None:
        ctypes.set_errno(0)
        value = int(self._lib.hivex_node_get_value(self._handle(), node, key.encode()))
        if value:
            return value
        if ctypes.get_errno() not in (0, errno.ENOENT):
            raise self._error(f"cannot look up value {key!r}")
        return None

    def value_key(self, value: int) -> str:
        return self._take_string(self._lib.hivex_value_key(self._handle(), value), "bad value")

    def value_value(self, value: int) -> tuple[int, bytes]:
        kind = ctypes.c_int(0)
        size = _size_t(0)
        ptr = self._lib.hivex_value_value(
            self._handle(), value, ctypes.byref(kind), ctypes.byref(size)
        )
        if not ptr and size.value:
            raise self._error("cannot read a value")
        try:
            return kind.value, ctypes.string_at(ptr, size.value) if ptr else b""
        finally:
            if ptr:
                self._libc.free(ptr)

    def node_add_child(self, node: int, name: str) -> int:
        child = int(self._lib.hivex_node_add_child(self._handle(), node, name.encode()))
        if not child:
            raise self._error(f"cannot add key {name!r}")
        return child

    def node_delete_child(self, node: int) -> None:
        if self._lib.hivex_node_delete_child(self._handle(), node) != 0:
            raise self._error("cannot delete a key")

    def node_set_values(self, node: int, values: list[tuple[str, int, bytes]]) -> None:
        """Replace every value of ``node`` with ``values`` (key, type, data)."""
        array = (_SetValue * max(len(values), 1))()
        for slot, (key, kind, data) in zip(array, values, strict=False):
            slot.key = key.encode()
            slot.t = kind
            slot.len = len(data)
            slot.value = data
        if self._lib.hivex_node_set_values(self._handle(), node, len(values), array, 0) != 0:
            raise self._error("cannot set values")

    def commit(self, path: Path | None = None) -> None:
        target = os.fsencode(path) if path is not None else None
        if self._lib.hivex_commit(self._handle(), target, 0) != 0:
            raise self._error("cannot write the hive")
