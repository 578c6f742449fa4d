# Everything runs from a local virtualenv (.venv) that the first target creates.
# `make` alone, or `make help`, lists the targets (from the `##` comments below).
VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON  ?= python3
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
# The warehouse `make run` and `make ui` work on: a folder holding its DuckDB file, stores, Dagster
# instance (dagster_home/) and settings (xxgk.yaml). Empty: $$XXGK_WAREHOUSE, else warehouse/.
WAREHOUSE ?=
WAREHOUSE_ARG = $(if $(WAREHOUSE),--warehouse $(WAREHOUSE))

.DEFAULT_GOAL := help
.PHONY: help setup setup-test check-python run test test-fast lint lint-imports ui ui-stop clean

help:  ## this list
	@echo "make TARGET  (Python >= 3.11; WAREHOUSE=DIR: another warehouse than warehouse/)"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:[^#]*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# A .venv made by an older Python (a first `make` with python3 = 3.10 leaves one) is removed
# and rebuilt; an interpreter that is too old is an error that says what to run instead.
check-python:  ## check the Python that builds .venv, and rebuild a .venv made by an older one
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "xxgk needs Python >= 3.11, but $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'not found')." >&2; \
	  echo "Install Python 3.11 or newer and run: make PYTHON=python3.11 $(or $(filter-out check-python,$(MAKECMDGOALS)),setup)" >&2; \
	  exit 1; }
	@if [ -e $(VENV) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "$(VENV) was made by Python $$($(PY) -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '(broken)'), xxgk needs >= 3.11: removing it and rebuilding with $(PYTHON)"; \
	  rm -rf $(VENV); fi

# What running needs (`make run`, `make ui`); the test extras come with the test targets.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --progress-bar on uv
	$(VENV)/bin/uv pip install -p $(PY) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(VENV)/bin/uv pip install -p $(PY) -e '.[test]'
	$(COMPILE)  # what it reinstalled (SQLAlchemy among them) is compiled again
	touch $@

# Dagster's own commands (dg launch, dagster job backfill, ...) read .env in the folder they
# run in: with it they use the instance of the default warehouse (warehouse/dagster_home, made
# here), as `make` and `xxgk` do, unless DAGSTER_HOME is set (python-dotenv expands the default).
.env: Makefile
	env -u DAGSTER_HOME $(VENV)/bin/xxgk home --warehouse $(CURDIR)/warehouse >/dev/null
	echo 'DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)/warehouse/dagster_home}' > $@

# The venv's activate script also names the code location for Dagster's own CLI (pipelines/activate.sh).
$(VENV)/.activate-dagster: $(VENV)/.installed pipelines/activate.sh
	grep -q DAGSTER_MODULE_NAME $(VENV)/bin/activate || cat pipelines/activate.sh >> $(VENV)/bin/activate
	touch $@

# Bytecode written once, at set-up: with PYTHONDONTWRITEBYTECODE set (as many CI and container
# images set it) Python never writes it, and every `xxgk run` and worker process would compile
# Dagster, Great Expectations and the rest again (~8 s of CPU a run). compileall writes it regardless;
# files that do not compile (test data inside some packages) are skipped.
PACKAGES = xxgk assets pipelines expectations warehouse
COMPILE = $(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') $(PACKAGES) >/dev/null 2>&1 || true
$(VENV)/.bytecode: $(VENV)/.installed
	$(COMPILE)
	touch $@

setup: check-python $(VENV)/.installed $(VENV)/.bytecode $(VENV)/.activate-dagster .env  ## create .venv and install xxgk with what running needs

setup-test: setup $(VENV)/.installed-test  ## setup, plus the test extras (pytest, moto, import-linter, the BI and distributed extras)

run: setup  ## load the inbox (XXGK_INBOX, else the warehouse's, else the bundled samples) into the warehouse (WAREHOUSE=DIR)
	$(VENV)/bin/xxgk run $(WAREHOUSE_ARG)

# --durations: every run (CI's too) ends with the tests that took longest, to keep CI's time in view
test: setup-test lint  ## the whole test suite (needs the Debian packages chromium and fonts-wqy-microhei)
	$(PY) -m pytest --durations=25

test-fast: setup-test lint  ## the pure logic, in under 30 s: tests not marked slow (tests/conftest.py)
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider tests/xxgk tests/warehouse tests/expectations tests/fixtures

lint: setup-test lint-imports  ## ruff (pyflakes, isort, pyupgrade, bugbear: [tool.ruff]) and the import layers
	$(VENV)/bin/ruff check .

lint-imports: setup-test  ## the layers go one way, no import cycles ([tool.importlinter] in pyproject.toml)
	$(VENV)/bin/lint-imports --no-cache

# `xxgk ui` (pipelines/ui.py) runs `dg dev` with the warehouse's Dagster home and settings, so
# that what the UI, its daemon, backfills, the schedule and the sensors launch reads that
# warehouse's inbox and writes that warehouse; it restores SIGINT's default before exec, so
# that Ctrl-C, TERM and `make ui-stop` stop the UI with its daemon and code server also when
# started as `make ui &`.
ui: setup  ## the warehouse's Dagster UI (dg dev) on http://127.0.0.1:3000 (WAREHOUSE=DIR, UI_PORT=...); Ctrl-C or make ui-stop stops it
	$(VENV)/bin/xxgk ui $(WAREHOUSE_ARG) --host $(UI_HOST) --port $(UI_PORT)

ui-stop:  ## stop the UI that make ui started (in the background or in another terminal; WAREHOUSE=DIR)
	@$(VENV)/bin/xxgk ui --stop $(WAREHOUSE_ARG)

clean:  ## remove .venv and the default warehouse: its DuckDB files, stores, Data Docs, overview, Dagster instance and settings
	rm -rf $(VENV) .env warehouse/*.duckdb warehouse/*.duckdb.wal warehouse/data_docs warehouse/staging warehouse/overview warehouse/dagster_home warehouse/xxgk.yaml \
	  storage history schedules logs .logs_queue .nux .telemetry .dagster-ui.pid .instance.lock
