from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from wincloud.model import Instance

_hosts = itertools.count(10)


@pytest.fixture
def new_instance(make_instance: Callable[..., Instance]) -> Callable[..., Instance]:
    """A valid instance with addresses no other instance from this factory uses."""

    def factory(**overrides: Any) -> Instance:
        n = next(_hosts)
        fields: dict[str, Any] = {
            "fixed_ips": [f"10.1.{n // 250}.{n % 250 + 2}", f"fd00::1:{n:x}"],
        }
        fields.update(overrides)
        return make_instance(**fields)

    return factory
