"""Scanned reports load like any other: the cells of the text layer, read by OCR.

Two scans of hongze-2024.pdf go through `xxgk run` into a temporary warehouse:

- every page rendered at 200 dpi and rebuilt into a PDF of pictures with img2pdf
  (nothing of the text layer survives);
- the real PDF with its three table pages (2-4) replaced by those pictures, pages 1
  and 5 still text.

Both are the same agency-year, so the warehouse loads one and keeps the other as a
version: every cell must equal the hand transcription, and the two versions must not
differ in a single cell. The OCR takes about half a minute on two cores.
"""
import importlib.util
import os

import polars as pl
import pytest

from tests.conftest import expected_cells
from tests.fixtures import scans
from tests.pipelines.inbox_run import run_inbox
from warehouse.loader import connect

pytestmark = pytest.mark.skipif(  # CI installs them: there a missing package fails
    not os.environ.get("CI") and not all(importlib.util.find_spec(m) for m in ("rapidocr", "onnxruntime", "img2pdf")),
    reason="OCR needs rapidocr and onnxruntime; the scans are made with img2pdf",
)

KEY = ["category_code", "applicant_type", "measure"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("scans")
    inbox = root / "inbox"
    inbox.mkdir()
    (inbox / "hongze-2024-scan.pdf").write_bytes(scans.image_only())
    (inbox / "hongze-2024-table-pages-scanned.pdf").write_bytes(scans.table_pages_as_images())
    warehouse, _ = run_inbox(root, inbox, workers="2")
    with connect(warehouse, read_only=True) as con:
        yield con


def test_the_scan_and_the_half_scan_are_read_by_ocr_page_by_page(loaded):
    documents = dict(loaded.execute("SELECT regexp_extract(source_file, '[^/]*$'), reader_check FROM dim_document").fetchall())
    assert documents == {
        "hongze-2024-scan.pdf": "5 of 5 page(s) are images; page(s) 1, 2, 3, 4 read by OCR; image page(s) 5 not read (no table on them)",
        "hongze-2024-table-pages-scanned.pdf": "3 of 5 page(s) are images; page(s) 2, 3, 4 read by OCR",
    }
    assert {r for (r,) in loaded.execute("SELECT reader FROM dim_document").fetchall()} == {"pdfplumber+ocr"}
    assert loaded.execute("SELECT count(*) FROM rejected_document").fetchone() == (0,)


def test_ocr_gives_every_hand_checked_cell(loaded):
    got = loaded.sql("SELECT agency, year, format_version, category_code, applicant_type, measure, value, printed FROM v_disclosure_facts").pl()
    assert got.select("agency", "year", "format_version").unique().rows() == [("淮安市洪泽区人民政府", 2024, "2021")]
    want = expected_cells("hongze-2024")
    joined = want.join(got, on=KEY, how="left", nulls_equal=True, suffix="_got")
    right = joined.filter(pl.col("value").eq_missing(pl.col("value_got")) & pl.col("printed").eq_missing(pl.col("printed_got")))
    print(f"\nOCR: {right.height} of {want.height} hand-checked cells right ({got.height} loaded)")
    assert right.height == want.height == got.height == 186


def test_the_two_scans_agree_on_every_cell(loaded):
    assert loaded.execute("SELECT count(*), sum(versions) FROM fact_report").fetchone() == (1, 2)
    assert loaded.execute("SELECT count(*) FROM fact_version_difference").fetchone() == (0,)


def test_ocr_cells_carry_their_provenance_and_confidence(loaded):
    rows = loaded.execute(
        """SELECT provenance, count(*), min(confidence), bool_and(location LIKE 'page % (ocr)')
           FROM (SELECT provenance, confidence, location FROM fact_application
                 UNION ALL SELECT provenance, confidence, location FROM fact_review_litigation
                 UNION ALL SELECT provenance, confidence, location FROM fact_active_disclosure)
           GROUP BY provenance"""
    ).fetchall()
    [(provenance, cells, lowest, located)] = rows
    assert (provenance, cells, located) == ("ocr", 186, True)
    assert lowest >= 0.5
    # the identity gates ran on them as on any report
    assert loaded.execute("SELECT quality_status FROM fact_report").fetchone() == ("passed",)
