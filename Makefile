# Everything runs from a local virtualenv (.venv) that the first target creates.
VENV   ?= .venv
PY     := $(VENV)/bin/python
export DAGSTER_HOME ?= $(CURDIR)

.PHONY: setup run test test-fast lint-imports ui bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv pip install --quiet -p $(PY) -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup  ## load the inbox ($$XXGK_INBOX, default: the bundled samples) into the warehouse
	$(VENV)/bin/xxgk run

test: setup lint-imports  ## the whole test suite
	$(PY) -m pytest

test-fast: setup lint-imports  ## the pure logic, in under 30 s: tests not marked slow (tests/conftest.py)
	$(PY) -m pytest -q -m "not slow" -p no:cacheprovider tests/xxgk tests/warehouse tests/expectations tests/fixtures

lint-imports: setup  ## the layers go one way, no import cycles ([tool.importlinter] in pyproject.toml)
	$(VENV)/bin/lint-imports --no-cache

ui: setup  ## the Dagster UI on http://127.0.0.1:3000
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) storage history schedules logs .logs_queue .nux .telemetry warehouse/*.duckdb warehouse/data_docs
