"""PosixState: one JSON document at <root>/var/lib/wincloud/state.json, replaced atomically."""

from __future__ import annotations

from typing import Final

from wincloud.platform.posix._root import Root, os_error

STATE_PATH: Final = "/var/lib/wincloud/state.json"


class PosixState:
    def __init__(self, root: Root, path: str = STATE_PATH) -> None:
        self.root = root
        self.path = path
        self.where = str(root.host(path))

    def read(self) -> bytes | None:
        try:
            return self.root.host(self.path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise os_error("read", exc, self.where) from None

    def write(self, data: bytes) -> None:
        host = self.root.host(self.path)
        if not host.parent.is_dir():
            self.root.make_dirs(host.parent, mode=0o700)
        self.root.write_atomic(host, data, mode=0o600)
