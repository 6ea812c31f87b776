"""Run one OpenStack project's tests with unittest and print a plain ``N passed, N failed`` line.

    .venv-nova/bin/python tests/openstack/run.py nova [pattern]

pytest cannot collect Nova's testtools-based classes, so the count is ours; the exit status is
non-zero when a test failed or errored, or when no test ran.
"""

from __future__ import annotations

import sys
import time
import unittest
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# `python tests/openstack/run.py` puts this folder first on sys.path, where tests/openstack/nova
# would shadow the real nova package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


class _Counting(unittest.TextTestResult):
    """Counts the tests that passed as they pass: a module or class skipped as a whole shows up
    in ``skipped`` without being in ``testsRun``, so a count by subtraction went negative."""

    passed = 0

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self.passed += 1


def _counting(stream: Any, descriptions: bool, verbosity: int) -> _Counting:
    return _Counting(stream, descriptions, verbosity)


def main(argv: list[str]) -> int:
    project = argv[1] if len(argv) > 1 else "nova"
    pattern = argv[2] if len(argv) > 2 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(
        start_dir=str(ROOT / "tests" / "openstack" / project),
        pattern=pattern,
        top_level_dir=str(ROOT),
    )
    started = time.monotonic()
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=_counting)
    result = runner.run(suite)
    assert isinstance(result, _Counting)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.passed
    print(f"{project}: {time.monotonic() - started:.1f} s")
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
