"""Windows licence accounting: instance history + host inventory + guests' activation reports
-> a monthly report of the core licences to report and the usage per project (docs/licensing.md).
"""

from __future__ import annotations

from wincloud.licensing.report import LicenceReport, build_report, compute_report, month_bounds
from wincloud.licensing.rules import Rules, load_rules

__all__ = [
    "LicenceReport",
    "Rules",
    "build_report",
    "compute_report",
    "load_rules",
    "month_bounds",
]
