"""Loads are bulk, transactional and idempotent, and replace only their own years."""
import polars as pl
import pytest

from tests.conftest import SAMPLE_FILES
from tests.fixtures.batches import batch_for, snapshot
from tests.fixtures.in_memory import ingest, normalise_all
from warehouse.loader import connect, ensure_schema, load_years


@pytest.fixture(scope="module")
def documents():
    docs, rejected = normalise_all(ingest(SAMPLE_FILES).documents)
    assert not rejected
    return docs


def test_loading_twice_gives_identical_contents_and_other_years_stay(tmp_path, documents):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_for(documents, 2023))
    counts = load_years(con, batch_for(documents, 2024))
    assert counts["cells"] == 186  # hongze-2024.pdf
    first = snapshot(con)
    ensure_schema(con)
    load_years(con, batch_for(documents, 2023))
    assert snapshot(con) == first
    by_year = dict(con.execute("SELECT year, count(*) FROM v_disclosure_facts GROUP BY year").fetchall())
    assert by_year == {2023: 1028, 2024: 186}  # with the 35 derived result.other cells of five 2023 samples


def test_a_failed_load_leaves_the_warehouse_as_it_was(tmp_path, documents):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_for(documents, 2023))
    before = snapshot(con)
    broken = batch_for(documents, 2023)
    broken.violations = pl.DataFrame({"no_such_column": [1]})  # fails half-way through the load
    with pytest.raises(Exception):  # noqa: B017 (any error of the load: the point is what it leaves)
        load_years(con, broken)
    assert snapshot(con) == before
