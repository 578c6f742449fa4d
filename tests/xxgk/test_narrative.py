"""The numbers each sample states in prose, found by hand (tests/expected/narrative/), against
what xxgk/extract/narrative.py finds and how it compares them with the sample's tables."""
from __future__ import annotations

import csv

import pytest

from tests.conftest import EXPECTED_DIR, SAMPLE_FILES, expected_cells
from xxgk.documents import read_document
from xxgk.extract import extract_report
from xxgk.extract.narrative import Statement, compare, find_statements
from xxgk.extract.trust import reading_facts
from xxgk.normalise import normalise_document

NARRATIVE = EXPECTED_DIR / "narrative"


def _expected(stem: str) -> list[dict]:
    with open(NARRATIVE / f"{stem}.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def extractions():
    return {p.stem: extract_report(normalise_document(read_document(p, judge=reading_facts))) for p in SAMPLE_FILES}


@pytest.mark.parametrize("stem", [p.stem for p in SAMPLE_FILES])
def test_each_sample_states_exactly_the_statements_read_by_hand(extractions, stem):
    found = [(s["quantity"], f"{s['stated']:g}", s["location"], s["matched"], s["cells"], s["verdict"])
             for s in extractions[stem].statements]
    assert found == [(e["quantity"], e["stated"], e["location"], e["matched"], e["cells"], e["verdict"])
                     for e in _expected(stem)]
    assert [s["statement_no"] for s in extractions[stem].statements] == list(range(len(found)))


def test_every_sample_has_a_file_of_its_statements():
    assert sorted(p.stem for p in NARRATIVE.glob("*.csv")) == sorted(p.stem for p in SAMPLE_FILES)


def test_the_cells_compared_are_the_hand_transcribed_ones():
    """The values in the statements' cells are those of tests/expected/<sample>.csv."""
    for path in SAMPLE_FILES:
        cells = expected_cells(path.stem)
        by_key = {(r["category_code"], r["applicant_type"] or r["measure"]): r["value"] for r in cells.iter_rows(named=True)}
        for e in _expected(path.stem):
            for part in e["cells"].split("; "):
                key, value = part.split("=")
                code, column = key.rstrip("]").split("[")
                assert by_key[(code, column)] == float(value), (path.stem, part)


def test_qidong_sentences_and_table_values():
    """qidong-office-2023.txt line 12 (read by hand): 共受理依申請公開162件(含上年結轉3件) against 159 new
    + 3 carried over in table 三; line 14: 新制發行政規範性文件5件 against 22 issued in table 二."""
    qidong = extract_report(normalise_document(read_document(next(p for p in SAMPLE_FILES if "qidong" in p.name),
                                                             judge=reading_facts)))
    handled, *_, issued, in_force = qidong.statements
    assert handled["sentence"].startswith("2023年,市政府本级通过线上、信函、当面等渠道共受理依申请公开162件")
    assert (handled["table_value"], handled["reason"]) == (162, "the text states what the table has")
    assert (issued["table_value"], issued["reason"]) == (22, "the text states 5, the table has 22")
    assert in_force["sentence"].endswith("现行有效件数合计28件。")


# --- the pure functions on sentences of their own ------------------------------------------

def _found(*rows: str) -> list[tuple[str, float]]:
    return [(s.quantity, s.stated) for s in find_statements([(r, f"line {i + 1}") for i, r in enumerate(rows)])]


def test_phrasings_of_the_same_quantities():
    assert _found("本年度共收到政府信息公开申请25件,其中予以公开12件,部分公开3件,不予公开2件。") == [
        ("applications_received", 25), ("granted", 12), ("partially_granted", 3)]
    assert _found("新收政府信息公开申请8件,上年结转申请2件。") == [("applications_received", 8), ("carried_over", 2)]
    assert _found("现行有效规范性文件共计41件。") == [("normative_docs_in_force", 41)]
    # 不予公开2件 is not 予以公开; 规章 in the sentence: whose in-force count is it?
    assert _found("不予公开2件。") == []
    assert _found("现行有效规章和规范性文件,现行有效件数合计9件。") == []


def test_a_sentence_broken_over_lines_is_one_statement_with_both_lines():
    # hongze-2024.pdf, page 1: the PDF's lines break inside the sentence
    found = find_statements([("申请答复工作规范高效。2024年,区政府办代表区政府受理政府", "line 22"),
                             ("信息公开申请17件,均已在法定期限内予以答复。", "line 23")])
    assert [(s.quantity, s.stated, s.location, s.rows) for s in found] == [("applications_received", 17.0, "line 22–23", (0, 1))]
    assert found[0].sentence == "2024年,区政府办代表区政府受理政府信息公开申请17件,均已在法定期限内予以答复。"


def test_none_stated_is_zero_but_an_outcome_or_an_application_that_led_to_a_review_is_not():
    assert _found("未发生行政复议和行政诉讼案件。") == [("review_total", 0), ("litigation_total", 0)]
    assert _found("未发生结果纠正或败诉情形。") == []
    assert _found("无因政府信息公开申请引起的行政复议。") == []
    assert _found("无其他需要报告的事项。") == []


def test_a_heading_row_ends_a_sentence():
    found = find_statements([("(二)依申请公开情况", "line 1"), ("全年未收到政府信息公开申请。", "line 2")])
    assert [(s.sentence, s.location) for s in found] == [("全年未收到政府信息公开申请。", "line 2")]


def _cell(code, applicant, measure, value, status="read"):
    return {"category_code": code, "applicant_type": applicant, "measure": measure, "value": value, "cell_status": status}


def test_compare_agrees_disagrees_or_cannot_compare():
    stated = Statement("applications_received", 162, "受理…162件", "…", "line 1", (0,))
    new, carried = _cell("application.new_received", "total", "count", 159), _cell("application.carried_over", "total", "count", 3)
    # 162 = 159 new + 3 carried over: the text counts both
    assert compare(stated, [new, carried])["verdict"] == "agree"
    assert compare(stated, [new, carried])["table_value"] == 162
    assert compare(stated, [new])["verdict"] == "disagree"
    blank = _cell("application.new_received", "total", "count", None, "blank")
    assert compare(stated, [blank]) == {
        "quantity": "applications_received", "stated": 162, "cells": "application.new_received[total]=blank",
        "table_value": None, "verdict": "cannot_compare", "reason": "a cell it is compared with is not a number"}
    # a 2019 report has no 本年制发件数 (issued) column: its 本年新制作数量 (made) is the same quantity;
    # a report with neither cannot be compared
    issued = Statement("normative_docs_issued", 5, "…", "…", "line 1", (0,))
    assert compare(issued, [_cell("active.normative_docs", None, "made", 5)])["cells"] == "active.normative_docs[made]=5"
    assert compare(issued, [_cell("active.normative_docs", None, "made", 5)])["verdict"] == "agree"
    assert compare(issued, [_cell("active.rules", None, "issued", 5)])["verdict"] == "cannot_compare"


@pytest.mark.parametrize("seed, template", [(1, "2021"), (2, "2019"), (3, "2021"), (4, "2019")])
def test_generated_reports_whose_prose_agrees_with_their_tables_never_disagree(tmp_path, seed, template):
    """tests/fixtures/synthetic.py writes section 一 with the numbers of its tables (共收到政府信息公开申请N件,
    上年结转M件, 予以公开K件, 制发行政规范性文件D件 — in the 2019 template, its 本年新制作数量)."""
    from tests.fixtures.synthetic import make_report

    report = make_report(seed, template)
    extraction = extract_report(normalise_document(read_document(report.write(tmp_path / "r.pdf"), judge=reading_facts)))
    verdicts = {(s["quantity"], s["verdict"]) for s in extraction.statements}
    assert ("applications_received", "agree") in verdicts
    assert {v for _, v in verdicts} == {"agree"}
