"""The stages give the same stores whether one process does the work or several."""
import os

import polars as pl
import pytest

from tests.fixtures.synthetic import EMBEDDABLE_FONT, write_corpus
from xxgk.extract.year import extract_store
from xxgk.inbox import read_inbox
from xxgk.normalise import normalise_store
from xxgk.parallel import MIN_PARALLEL_DOCUMENTS, run_tasks


def _fail_on(n: int) -> int:
    if n == 3:
        raise ValueError("task 3 fails")
    return n * n


def test_results_of_every_task_and_the_error_of_one():
    assert sorted(result for _, result in run_tasks(_fail_on, [(n,) for n in (1, 2, 4, 5)], workers=2)) == [1, 4, 16, 25]
    with pytest.raises(ValueError, match="task 3 fails"):
        list(run_tasks(_fail_on, [(n,) for n in range(1, 8)], workers=2))
    # a failing task leaves no broken pool behind: the next call runs
    assert [r for _, r in run_tasks(_fail_on, [(6,)], workers=2)] == [36]


def _stores(inbox, folder, workers: int):
    raw = read_inbox(sorted(inbox.glob("*.pdf")), folder / "raw", workers=workers)
    normalised = normalise_store(raw, folder / "normalised", workers=workers)
    tables = {y: extract_store(normalised, y, folder / f"tables-{y}", workers=workers) for y in normalised.years}
    return raw, normalised, tables


def test_two_workers_make_the_same_stores_as_one(tmp_path):
    if not EMBEDDABLE_FONT.exists() and not os.environ.get("CI"):
        pytest.skip("fonts-wqy-microhei not installed")
    n = MIN_PARALLEL_DOCUMENTS + 8
    write_corpus(tmp_path / "inbox", n, seed=11, embed_font=str(EMBEDDABLE_FONT))
    one = _stores(tmp_path / "inbox", tmp_path / "one", 1)
    two = _stores(tmp_path / "inbox", tmp_path / "two", 2)
    keep = ["document_id", "source_file", "reader", "reader_check", "agency", "year", "format_version"]
    assert one[1].documents.select(keep).equals(two[1].documents.select(keep))
    assert set(one[0].documents["reader"]) == {"pdfium"} and one[0].documents.height == n
    assert one[1].years == two[1].years and len(one[1].years) > 1
    expected = pl.read_csv(tmp_path / "inbox" / "expected.csv", infer_schema=False)
    cells = 0
    for year in one[1].years:
        a, b = (t[year].cells.collect().sort("document_id", "category_code", "applicant_type", "measure") for t in (one[2], two[2]))
        assert a.equals(b) and a.height > 0
        cells += a.filter(pl.col("cell_status") != "derived").height  # expected.csv lists the printed cells
        assert one[2][year].documents.drop("part").equals(two[2][year].documents.drop("part"))
    assert cells == expected.height
