# Everything runs from a local virtualenv (.venv) that the first target creates.
# `make` alone, or `make help`, lists the targets (from the `##` comments below).
VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON  ?= python3
UI_HOST ?= 127.0.0.1
UI_PORT ?= 3000
export DAGSTER_HOME ?= $(CURDIR)
UI_PID   = $(DAGSTER_HOME)/.dagster-ui.pid

.DEFAULT_GOAL := help
.PHONY: help setup check-python run test lint lint-imports ui ui-stop clean

help:  ## this list
	@echo "make TARGET  (Python >= 3.11; DAGSTER_HOME defaults to this folder)"
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

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check --progress-bar on uv
	$(VENV)/bin/uv pip install -p $(PY) -e '.[dev]'
	touch $@

# Dagster's own commands (dg launch, dagster job backfill, ...) read .env in the folder they
# run in: with it they use this folder's instance, as `make` and `xxgk` do, unless
# DAGSTER_HOME is set (python-dotenv expands the default).
.env:
	echo 'DAGSTER_HOME=$${DAGSTER_HOME:-$(CURDIR)}' > $@

# The venv's activate script also names the code location for Dagster's own CLI (pipelines/activate.sh).
$(VENV)/.activate-dagster: $(VENV)/.installed pipelines/activate.sh
	grep -q DAGSTER_MODULE_NAME $(VENV)/bin/activate || cat pipelines/activate.sh >> $(VENV)/bin/activate
	touch $@

# Bytecode written once, at set-up: with PYTHONDONTWRITEBYTECODE set (as many CI and container
# images set it) Python never writes it, and every `xxgk run` and worker process would compile
# Dagster, Great Expectations and the rest again (~8 s of CPU a run). compileall writes it regardless;
# files that do not compile (test data inside some packages) are skipped.
PACKAGES = xxgk assets pipelines expectations warehouse
$(VENV)/.bytecode: $(VENV)/.installed
	$(PY) -m compileall -q -j 0 $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') $(PACKAGES) >/dev/null 2>&1 || true
	touch $@

setup: check-python $(VENV)/.installed $(VENV)/.bytecode $(VENV)/.activate-dagster .env  ## create .venv and install xxgk with its test dependencies

run: setup  ## load the inbox (XXGK_INBOX, default: the bundled samples) into the warehouse
	$(VENV)/bin/xxgk run

# --durations: every run (CI's too) ends with the tests that took longest, to keep CI's time in view
test: setup lint  ## the whole test suite (needs the Debian packages chromium and fonts-wqy-microhei)
	$(PY) -m pytest --durations=25

test-fast: setup lint  ## the pure logic, in under 30 s: tests not marked slow (tests/conftest.py)
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider tests/xxgk tests/warehouse tests/expectations tests/fixtures

lint: setup lint-imports  ## ruff (pyflakes, isort, pyupgrade, bugbear: [tool.ruff]) and the import layers
	$(VENV)/bin/ruff check .

lint-imports: setup  ## the layers go one way, no import cycles ([tool.importlinter] in pyproject.toml)
	$(VENV)/bin/lint-imports --no-cache

# A background job of a shell ignores SIGINT, its children inherit that, and Dagster maps
# SIGTERM to SIGINT's handler: restore SIGINT's default before exec so that Ctrl-C, TERM and
# `make ui-stop` all stop the UI with its daemon and code server. VIRTUAL_ENV: dg warns when
# the active venv is not the project's.
ui: setup  ## the Dagster UI (dg dev) on http://127.0.0.1:3000 (UI_PORT=...); Ctrl-C or make ui-stop stops it
	VIRTUAL_ENV=$(abspath $(VENV)) $(PY) -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); open(sys.argv[1], "w").write(str(os.getpid())); os.execv(sys.argv[2], sys.argv[2:])' \
	  $(UI_PID) $(VENV)/bin/dg dev --host $(UI_HOST) --port $(UI_PORT)

ui-stop:  ## stop the UI that make ui started (in the background or in another terminal)
	@if [ -f $(UI_PID) ] && kill -0 $$(cat $(UI_PID)) 2>/dev/null; then \
	  pid=$$(cat $(UI_PID)); kill -TERM $$pid; \
	  for i in $$(seq 60); do kill -0 $$pid 2>/dev/null || break; sleep 1; done; \
	  if kill -0 $$pid 2>/dev/null; then echo "the Dagster UI (pid $$pid) is still running after 60 s: kill -KILL $$pid" >&2; exit 1; fi; \
	  rm -f $(UI_PID); echo "Dagster UI stopped (pid $$pid)"; \
	else rm -f $(UI_PID); echo "no Dagster UI started by make ui is running"; fi

clean:  ## remove .venv, the warehouse, Data Docs and the local Dagster instance's files
	rm -rf $(VENV) .env storage history schedules logs .logs_queue .nux .telemetry .dagster-ui.pid .instance.lock warehouse/*.duckdb warehouse/data_docs warehouse/staging
