# The two entry points: `make demo` (the metadata service on the embedded SQLite default)
# and `make test` (lint, format, types, tests). Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types pytest bench clean test-openstack

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/wincloud metadata demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench packaging
	$(BIN)/ruff format --check src tests bench packaging

types: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --platform win32 src/wincloud
	$(BIN)/mypy --strict tests/typing
	$(BIN)/mypy --strict --platform win32 tests/typing
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint types pytest

bench: $(STAMP)
	$(BIN)/python bench/metadata_bootstorm.py
	$(BIN)/python bench/agent_boot.py

# Nova 34's own functional harness with our Hyper-V driver, in its own venv pinned to OpenStack's
# 2026.2 constraints (tests/openstack); prints "N passed, N failed".
NOVA_VENV := .venv-nova
NOVA_STAMP := $(NOVA_VENV)/.installed
OPENSTACK_CONSTRAINTS := tests/openstack/upper-constraints-2026.2.txt
NOVA_TEST_DEPS := osprofiler oslotest stestr testtools wsgi-intercept openstack-placement ddt \
	requests-mock testscenarios testresources

$(NOVA_STAMP): pyproject.toml $(OPENSTACK_CONSTRAINTS) packaging/nova-shim/pyproject.toml \
    packaging/nova-shim/nova/virt/wincloud/__init__.py
	test -x $(NOVA_VENV)/bin/python || $(PY) -m venv $(NOVA_VENV)
	$(NOVA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NOVA_VENV)/bin/python -m pip install --quiet -c $(OPENSTACK_CONSTRAINTS) \
		nova==34.0.0 $(NOVA_TEST_DEPS) -e '.[nova]' ./packaging/nova-shim
	touch $(NOVA_STAMP)

# Cinder 29's functional harness with our WindowsISCSIDriver, same constraints, own venv.
CINDER_VENV := .venv-cinder
CINDER_STAMP := $(CINDER_VENV)/.installed
CINDER_TEST_DEPS := oslotest stestr testtools ddt requests-mock testscenarios testresources fixtures

$(CINDER_STAMP): pyproject.toml $(OPENSTACK_CONSTRAINTS)
	test -x $(CINDER_VENV)/bin/python || $(PY) -m venv $(CINDER_VENV)
	$(CINDER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CINDER_VENV)/bin/python -m pip install --quiet -c $(OPENSTACK_CONSTRAINTS) \
		cinder==29.0.0 $(CINDER_TEST_DEPS) -e '.[cinder]'
	touch $(CINDER_STAMP)

# Neutron 29's ML2 harness with our hyperv mechanism driver and L2 agent, same constraints, own
# venv; neutron 29.0.0's wheel metadata omits pyroute2, so it is named here.
NEUTRON_VENV := .venv-neutron
NEUTRON_STAMP := $(NEUTRON_VENV)/.installed
NEUTRON_TEST_DEPS := pyroute2 oslotest testtools testscenarios testresources WebTest ddt fixtures \
	requests-mock

$(NEUTRON_STAMP): pyproject.toml $(OPENSTACK_CONSTRAINTS)
	test -x $(NEUTRON_VENV)/bin/python || $(PY) -m venv $(NEUTRON_VENV)
	$(NEUTRON_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NEUTRON_VENV)/bin/python -m pip install --quiet -c $(OPENSTACK_CONSTRAINTS) \
		neutron==29.0.0 $(NEUTRON_TEST_DEPS) -e '.[neutron]'
	touch $(NEUTRON_STAMP)

# A real Glance 33 (gunicorn, SQLite, file store) for `wincloud image publish`, same constraints,
# own venv; its tests run in the main venv and start it as a subprocess.
GLANCE_VENV := .venv-glance
GLANCE_STAMP := $(GLANCE_VENV)/.installed

$(GLANCE_STAMP): $(OPENSTACK_CONSTRAINTS) tests/openstack/glance/venv.sh
	bash tests/openstack/glance/venv.sh $(PY)

test-openstack: $(STAMP) $(NOVA_STAMP) $(CINDER_STAMP) $(NEUTRON_STAMP) $(GLANCE_STAMP)
	bash tests/openstack/all.sh

clean:
	rm -rf $(VENV) $(NOVA_VENV) $(CINDER_VENV) $(NEUTRON_VENV) $(GLANCE_VENV) .mypy_cache .pytest_cache .ruff_cache
