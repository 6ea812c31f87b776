#!/usr/bin/env bash
# Every OpenStack suite in its own venv (built by `make test-openstack`), each to the end even
# when one fails; the last line is their sum, "openstack: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
status=0
for project in nova cinder neutron glance; do
  python=".venv-$project/bin/python"
  # Glance runs as a server from .venv-glance; its tests drive it from the main venv.
  [ "$project" = glance ] && python=".venv/bin/python"
  log=$(mktemp)
  "$python" tests/openstack/run.py "$project" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$line" ]; then
    echo "$project: the suite printed no result line (exit $rc)"
    failed=$((failed + 1))
    status=1
    continue
  fi
  passed=$((passed + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
  [ "$rc" -eq 0 ] || status=1
done
echo "openstack: $passed passed, $failed failed"
exit "$status"
