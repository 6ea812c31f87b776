"""Fixtures of the e2e tier: network namespaces (tests/e2e/netns.py)."""

from tests.e2e.netns import netns

__all__ = ["netns"]
