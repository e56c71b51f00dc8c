# Two commands for a newcomer: `make demo` (set up, then lint config/ and audit a local registry)
# and `make test` (the whole test suite, as CI runs it).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup chromium demo test lint bench

$(BIN)/python:
	$(PY) -m venv $(VENV)

setup: $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "installing trackcheck with its registry, hydra and dev extras into $(VENV) (about two minutes the first time) ..."
	$(BIN)/python -m pip install --progress-bar on -e ".[registry,hydra,dev]"
	@$(MAKE) --no-print-directory chromium
	@# the audit tests also run against an mlflow server on PostgreSQL (a throwaway cluster)
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| { echo "installing PostgreSQL for the audit tests ..."; \
		     apt-get update -q && apt-get install -y -q postgresql; }

# Debian's chromium, for the HTML report's browser tests and the demo's screenshot: installed
# once (skipped when it is on PATH), quietly, within 15 minutes; without root or apt, a hint
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  echo "installing Debian's chromium (HTML report tests, demo screenshot) ..."; \
	  { command -v apt-get >/dev/null && timeout 900 $$SUDO apt-get update -qq >/dev/null 2>&1 \
	    && DEBIAN_FRONTEND=noninteractive timeout 900 $$SUDO apt-get install -y -qq chromium \
	    >/dev/null 2>&1; } || echo "could not install chromium: the browser tests will fail \
	and the demo takes no screenshot (apt-get install chromium)"; }

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
	$(BIN)/python benchmarks/html_report.py
	$(BIN)/python benchmarks/audit_scale.py
