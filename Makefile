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

test-openstack: $(NOVA_STAMP)
	$(NOVA_VENV)/bin/python tests/openstack/run.py nova

clean:
	rm -rf $(VENV) $(NOVA_VENV) .mypy_cache .pytest_cache .ruff_cache
