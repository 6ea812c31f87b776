"""A stateful fake Hyper-V host (shipped: tests, demos and ``wincloud hyperv --fake`` use it).

Every rule it enforces is listed in ``rules.RULES`` with the Microsoft page that documents it,
or marked unverified.
"""

from wincloud.hyperv.fake._devices import normalize_mac
from wincloud.hyperv.fake.host import FakeHost
from wincloud.hyperv.fake.rules import RULES, UNVERIFIED, Rule

__all__ = ["RULES", "UNVERIFIED", "FakeHost", "Rule", "normalize_mac"]
