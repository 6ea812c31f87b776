"""FakeHypervisor: guestinfo variables given by the test (key without ``guestinfo.``)."""

from __future__ import annotations

from wincloud.platform.guestinfo import check_key


class FakeHypervisor:
    def __init__(self, guestinfo: dict[str, bytes] | None = None) -> None:
        self.values = dict(guestinfo or {})

    def guestinfo(self, key: str) -> bytes | None:
        check_key(key)
        return self.values.get(key) or None
