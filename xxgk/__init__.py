"""xxgk: the pure logic of the pipeline (reading, normalising, extracting).

Nothing in this package imports Dagster, DuckDB or Great Expectations, so every
stage can be tested and reused on its own.
"""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SPEC_DIR = PACKAGE_DIR / "spec"
SAMPLES_DIR = PACKAGE_DIR / "samples"
