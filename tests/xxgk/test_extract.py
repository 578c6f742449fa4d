"""Extraction: every printed cell of tables 二, 三, 四, damage recorded, never repaired."""
import polars as pl
import pytest

from tests.conftest import SAMPLE_FILES, expected_cells
from xxgk.documents import RawDocument, Row, read_document
from xxgk.extract import extract_report
from xxgk.extract.tables import place
from xxgk.extract.tokens import Kind, Token, classify
from xxgk.extract.trust import reading_facts
from xxgk.normalise import normalise_document

KEY = ["category_code", "applicant_type", "measure"]


def _tokens(*row_cells: list[str]) -> list[Token]:
    out = []
    for r, cells in enumerate(row_cells):
        for text in cells:
            kind, value, unit = classify(text)
            out.append(Token(kind, text, text, r, f"line {r + 1}", value, unit))
    return out


def test_classify_cells():
    assert classify("1077980元") == (Kind.NUMBER, 1077980.0, "元")
    assert classify("7730.28") == (Kind.NUMBER, 7730.28, None)
    assert classify("1,234") == (Kind.NUMBER, 1234.0, None)
    assert classify("-3") == (Kind.NUMBER, -3.0, None)
    assert classify("/")[0] is Kind.NULL_MARK and classify("—")[0] is Kind.NULL_MARK
    assert classify("")[0] is Kind.EMPTY
    assert classify("行政许可")[0] is Kind.TEXT


def test_place_exact_row_ignores_layout_blanks():
    # dongning-2023.txt line 44: "行政许可\t1772\t\t"
    placed, problem = place(_tokens(["1772", "", ""]), 1)
    assert [t.printed for t in placed] == ["1772"] and problem is None


def test_place_short_row_uses_the_rows_own_gap():
    # dongning-2023.txt line 67: (六)1 carries 6 numbers then an empty cell where the total goes
    placed, problem = place(_tokens(["0"] * 6 + [""]), 7)
    assert [t.kind for t in placed] == [Kind.NUMBER] * 6 + [Kind.EMPTY]
    assert "column(s) [7] recorded as blank" in problem


def test_place_short_row_without_a_gap_places_nothing():
    # fuxin-taiping-office-2023.txt line 63: (三)1 carries 6 numbers and no trace of the seventh
    placed, problem = place(_tokens(["0"] * 6), 7)
    assert placed == [None] * 7 and "ambiguous" in problem


def test_place_long_row_only_where_every_reading_agrees():
    # suifenhe-business-env-2023.txt line 56: 8 zeros for 7 columns: every reading gives 0
    placed, problem = place(_tokens(["0"] * 8), 7)
    assert [t.value for t in placed] == [0.0] * 7 and "7 placed" in problem
    # 1 2 9 3 for 3 columns: column 1 is 1 or 2, column 2 is 2 or 9, column 3 is 9 or 3: none certain
    placed, _ = place(_tokens(["1", "2", "9", "3"]), 3)
    assert placed == [None, None, None]
    placed, _ = place(_tokens(["5", "5", "7", "7"]), 3)
    assert [p.value if p else None for p in placed] == [5.0, None, 7.0]


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_cell_of_every_sample_matches_the_hand_transcription(path):
    got = extract_report(normalise_document(read_document(path, judge=reading_facts))).cells_frame()
    want = expected_cells(path.stem)
    assert got.height == want.height
    joined = want.join(got, on=KEY, how="full", nulls_equal=True, suffix="_got")
    assert joined.filter(pl.col("category_code").is_null() | pl.col("category_code_got").is_null()).is_empty()
    for row in joined.iter_rows(named=True):
        assert (row["value"], row["printed"]) == (row["value_got"], row["printed_got"]), row


def test_yuan_in_a_10k_yuan_column_is_converted_with_a_warning():
    extraction = extract_report(normalise_document(read_document([p for p in SAMPLE_FILES if "lingdong" in p.name][0], judge=reading_facts)))
    fees = extraction.cells_frame().filter(pl.col("category_code") == "active.fees").row(0, named=True)
    assert (fees["value"], fees["printed"], fees["cell_status"]) == (107.798, "1077980元", "converted")
    kinds = {(w["category_code"], w["kind"]) for w in extraction.warnings}
    assert ("active.fees", "unit_converted") in kinds
    assert ("application.carried_forward", "missing_row") in kinds  # lingdong never prints 四、结转下年度继续办理


def test_null_marks_keep_what_was_printed():
    lines = [
        "某县人民政府2023年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
        "规章\t/\t—\t0",
        "三、收到和处理政府信息公开申请情况",
    ]
    raw = RawDocument("x", "x.txt", "txt", 1, [Row(line.split("\t"), f"line {i}") for i, line in enumerate(lines, 1)])
    cells = extract_report(normalise_document(raw)).cells_frame().filter(pl.col("category_code") == "active.rules")
    assert cells.select("measure", "value", "printed", "cell_status").rows() == [
        ("issued", None, "/", "null_mark"),
        ("repealed", None, "—", "null_mark"),
        ("in_force", 0.0, "0", "read"),
    ]


def _warnings_of(path, replace: tuple[str, str] | None = None):
    raw = read_document(path, judge=reading_facts)
    if replace:
        for row in raw.rows:
            row.cells = [c.replace(*replace) for c in row.cells]
    return extract_report(normalise_document(raw)).warnings


def test_narrative_total_is_cross_checked_with_table_3():
    qidong = [p for p in SAMPLE_FILES if "qidong" in p.name][0]
    # "共受理依申請公開162件(含上年結轉3件)" and table 三: 159 new + 3 carried over
    assert not [w for w in _warnings_of(qidong) if w["kind"] == "narrative_mismatch"]
    broken = [w for w in _warnings_of(qidong, ("公開162件", "公開170件")) if w["kind"] == "narrative_mismatch"]
    assert len(broken) == 1 and "170件" in broken[0]["message"] and "159 new + 3 carried over" in broken[0]["message"]
    # hongze-2024.pdf: "区政府办代表区政府受理政府信息公开申请 17 件", split over two PDF lines; table 三 says 95
    hongze = [w for w in _warnings_of([p for p in SAMPLE_FILES if p.suffix == ".pdf"][0]) if w["kind"] == "narrative_mismatch"]
    assert len(hongze) == 1 and "17件" in hongze[0]["message"] and hongze[0]["location"] == "page 1"


def test_a_cell_ocr_could_not_read_is_null_with_a_warning_never_a_shifted_neighbour():
    lines = [
        ["某县人民政府2023年政府信息公开工作年度报告"],
        ["三、收到和处理政府信息公开申请情况"],
        ["一、本年新收政府信息公开申请数量", "95", "\ufffd", "0", "0", "0", "0", "95"],
        ["四、政府信息公开行政复议、行政诉讼情况"],
    ]
    rows = [Row(cells, "page 3 (ocr)", [None] + [0.98] * (len(cells) - 1) if len(cells) > 1 else None, "ocr") for cells in lines]
    rows[2].confidences[2] = 0.0
    extraction = extract_report(normalise_document(RawDocument("x", "scan.pdf", "pdf", 1, rows)))
    cells = extraction.cells_frame().filter(pl.col("category_code") == "application.new_received")
    assert cells.select("applicant_type", "value", "cell_status", "provenance").rows()[:3] == [
        ("natural_person", 95.0, "read", "ocr"),
        ("commercial", None, "not_read", "ocr"),
        ("research", 0.0, "read", "ocr"),
    ]
    assert cells["confidence"].to_list()[:2] == [0.98, 0.0]
    assert any(w["kind"] == "not_read" and w["category_code"] == "application.new_received" for w in extraction.warnings)
