#!/usr/bin/env bash
# Build .venv-glance from scratch: a real Glance 33 (PyPI) and gunicorn, pinned by OpenStack's
# 2026.2 upper-constraints (tests/openstack/upper-constraints-2026.2.txt). Only Glance runs in this
# venv; the tests that drive it run in the main venv (openstacksdk, wincloud), so the core install
# never carries Glance.
#   bash tests/openstack/glance/venv.sh [PYTHON]
set -eu
cd "$(dirname "$0")/../../.."
py=${1:-python3}
venv=.venv-glance
constraints=tests/openstack/upper-constraints-2026.2.txt
test -x "$venv/bin/python" || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c "$constraints" glance==33.0.0 gunicorn
"$venv/bin/glance-manage" --help >/dev/null
touch "$venv/.installed"
echo "$venv: glance $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("glance"))')"
