"""FakeNetwork: adapters given by the test; the last plan applied."""

from __future__ import annotations

from wincloud.platform.base import Adapter, NetworkPlan
from wincloud.platform.validate import check_plan


class FakeNetwork:
    def __init__(
        self, adapters: list[Adapter] | None = None, *, dhcp_servers: list[str] | None = None
    ) -> None:
        self._adapters = list(adapters or [])
        self.applied: NetworkPlan | None = None
        self.servers = list(dhcp_servers or [])
        """What ``dhcp_servers`` answers (tests set it)."""

    def dhcp_servers(self) -> list[str]:
        return list(dict.fromkeys(self.servers))

    def adapters(self) -> list[Adapter]:
        return list(self._adapters)

    def apply(self, plan: NetworkPlan) -> bool:
        check_plan(plan)
        changed = plan != self.applied
        self.applied = plan
        return changed
