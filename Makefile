# The two entry points: `make demo` (the metadata service on the embedded SQLite default)
# and `make test` (lint, format, types, tests). Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types pytest bench clean

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

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
