"""One report, several files: one version is loaded, the others are kept with their differences."""
import polars as pl

from tests.conftest import SAMPLE_FILES
from tests.fixtures.in_memory import extract_year, ingest, normalise_all
from xxgk.documents import list_inbox

QIDONG = [p for p in SAMPLE_FILES if "qidong" in p.name][0]


def test_the_version_that_adds_up_is_loaded_and_differences_are_listed(tmp_path):
    from expectations.gates import validate_reports

    text = QIDONG.read_text(encoding="utf-8")
    (tmp_path / "web-page.txt").write_text(text, encoding="utf-8")
    # a re-publication with two cells changed (予以公开 42 -> 41, 总计 162 -> 161), and longer:
    # bigger would win the last tie-break, but its table no longer balances
    corrected = text.replace("\n42\n", "\n41\n", 1).replace("\n162\n", "\n161\n", 1) + "\n附件：无。\n"
    (tmp_path / "re-published.txt").write_text(corrected, encoding="utf-8")
    docs, _ = normalise_all(ingest(list_inbox(tmp_path)).documents)
    tables = extract_year(docs, 2023)
    assert tables.documents.height == 2
    gate = validate_reports(tables.cells.collect())
    tables = tables.rechoose(gate.per_document)
    status = dict(tables.documents.select(pl.col("source_file").str.split("/").list.last(), "status").rows())
    assert status == {"web-page.txt": "loaded", "re-published.txt": "superseded"}
    diffs = tables.differences.select("category_code", "applicant_type", "value", "loaded_value").sort("category_code").rows()
    assert diffs == [("result.granted", "natural_person", 41.0, 42.0), ("result.total", "natural_person", 161.0, 162.0)]


def _versions(rows: list[tuple]) -> pl.DataFrame:
    """Versions of one agency-year: (document_id, cells_read, violations, warnings, size_bytes)."""
    from xxgk.extract.year import DOCUMENT_SCHEMA

    return pl.DataFrame(
        [{"document_id": d, "agency": "启东市人民政府办公室", "year": 2023, "cells_read": c, "violations": v, "warnings": w,
          "size_bytes": s, "status": ""} for d, c, v, w, s in rows],
        schema={**{k: DOCUMENT_SCHEMA[k] for k in ("document_id", "agency", "year", "cells_read", "warnings", "size_bytes", "status")},
                "violations": pl.Int32})


def test_each_tier_of_the_rule_and_never_the_order_of_the_files():
    from xxgk.choice import choose_documents

    tiers = [
        # most cells read first: an incomplete copy loses even with fewer violations
        ([("a", 190, 0, 0, 9000), ("b", 200, 2, 5, 100)], "b"),
        # then fewest identity violations
        ([("a", 200, 1, 0, 9000), ("b", 200, 0, 5, 100)], "b"),
        # then fewest warnings
        ([("a", 200, 0, 3, 9000), ("b", 200, 0, 1, 100)], "b"),
        # then the largest file (the web page's PDF attachment over the page)
        ([("a", 200, 0, 1, 100), ("b", 200, 0, 1, 9000)], "b"),
        # then the smallest document id: the same bytes would have been one document
        ([("b", 200, 0, 1, 9000), ("a", 200, 0, 1, 9000)], "a"),
    ]
    for rows, winner in tiers:
        for order in (rows, rows[::-1]):
            chosen = choose_documents(_versions(order))
            assert dict(chosen.select("document_id", "status").rows()) == {
                d: ("loaded" if d == winner else "superseded") for d, *_ in rows}, rows

