# Two commands for a newcomer: `make demo` (set up, then lint config/ and audit a local registry)
# and `make test` (the whole test suite, as CI runs it).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench

$(BIN)/python:
	$(PY) -m venv $(VENV)

setup: $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "installing trackcheck with its registry, hydra and dev extras into $(VENV) (about two minutes the first time) ..."
	$(BIN)/python -m pip install --progress-bar on -e ".[registry,hydra,dev]"
	@# the audit tests also run against an mlflow server on PostgreSQL (a throwaway cluster)
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { echo "installing PostgreSQL for the audit tests ..."; \
		     apt-get update -q && apt-get install -y -q postgresql; }

demo: setup
	MLFLOW_DISABLE_TELEMETRY=true $(BIN)/python -m trackcheck.demo

test: setup
	MLFLOW_DISABLE_TELEMETRY=true $(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/trackcheck lint config

bench: setup
	$(BIN)/python benchmarks/lint_tree.py
	$(BIN)/python benchmarks/audit_registry.py
	$(BIN)/python benchmarks/audit_scale.py
