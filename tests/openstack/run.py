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

ROOT = Path(__file__).resolve().parents[2]
# `python tests/openstack/run.py` puts this folder first on sys.path, where tests/openstack/nova
# would shadow the real nova package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def main(argv: list[str]) -> int:
    project = argv[1] if len(argv) > 1 else "nova"
    pattern = argv[2] if len(argv) > 2 else "test_*.py"
    suite = unittest.defaultTestLoader.discover(
        start_dir=str(ROOT / "tests" / "openstack" / project),
        pattern=pattern,
        top_level_dir=str(ROOT),
    )
    started = time.monotonic()
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    print(f"{project}: {time.monotonic() - started:.1f} s")
    line = f"{passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed or result.testsRun == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
