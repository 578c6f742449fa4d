"""The warehouse accumulates documents: later loads add to a year, never delete it; each
agency-year's report is chosen among every version known; only a retraction removes one."""
from functools import cache

import polars as pl
import pytest

from expectations.gates import validate_reports, validate_year_carry
from tests.conftest import SAMPLE_FILES
from tests.fixtures.batches import snapshot
from tests.fixtures.in_memory import extract_year, ingest, normalise_all
from tests.pipelines.test_backfill import CARRIED_FORWARD as FORWARD
from tests.pipelines.test_backfill import NEW_RECEIVED  # table 三, new applications: persons 159, ..., total 159
from warehouse.loader import YearBatch, connect, ensure_schema, load_years, retract
from xxgk.extract.year import REJECTED_SCHEMA

FIVE_2023 = tuple(p for p in SAMPLE_FILES if "2023" in p.name)
QIDONG = [p for p in SAMPLE_FILES if "qidong" in p.name][0]
DONGNING = [p for p in SAMPLE_FILES if "dongning" in p.name][0]
QIDONG_AGENCY = "启东市人民政府办公室"
FORWARD_3 = "四、結(jié)轉(zhuǎn)下年度繼續(xù)辦理\n\n3\n\n0\n\n0\n\n0\n\n0\n\n0\n\n3\n"


@cache
def batch_of(paths, year: int = 2023) -> YearBatch:
    """What warehouse_facts hands the loader: every version, its gate findings and quality
    (cached: the loader only reads it)."""
    docs, rejected = normalise_all(ingest(paths).documents)
    assert not rejected
    tables = extract_year(docs, year)
    cells = tables.cells.collect()
    gate = validate_reports(cells)
    documents = tables.documents.drop("violations").join(
        gate.per_document.select("document_id", "violations", "quality_status"), on="document_id", how="left")
    return YearBatch([year], documents, cells, tables.warnings, gate.violations, pl.DataFrame(schema=REJECTED_SCHEMA))


def check_carry(cells: pl.DataFrame) -> pl.DataFrame:
    return validate_year_carry(cells).violations


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("accumulate")
    text = QIDONG.read_text(encoding="utf-8")
    assert text.count(NEW_RECEIVED) == 1
    # the same office's report again, its total misprinted: 160 received of which 159 by persons
    misprinted = root / "qidong-office-2023-repost.txt"
    misprinted.write_text(text.replace(NEW_RECEIVED, NEW_RECEIVED[: -len("159\n")] + "160\n"), encoding="utf-8")
    # a late arrival: another county's report of the same year
    late = root / "ningan-2023.txt"
    late.write_text(DONGNING.read_text(encoding="utf-8").replace("东宁市", "宁安市"), encoding="utf-8")
    return {"misprinted": misprinted, "late": late}


def facts(con, agency: str | None = None) -> list[tuple]:
    where = "" if agency is None else f"WHERE agency = '{agency}'"
    return sorted(con.execute(f"SELECT * FROM v_disclosure_facts {where}").fetchall(), key=repr)


def reports(con) -> dict[str, tuple]:
    return {a: (d, v) for a, d, v in con.execute(
        "SELECT agency_name, document_id, versions FROM fact_report JOIN dim_agency USING (agency_id) WHERE year = 2023").fetchall()}


def test_a_second_inbox_adds_to_the_year_and_deletes_nothing(tmp_path, files):
    """Issue 16 item 8: five 2023 reports, then one more: six reports, the five unchanged."""
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_of(FIVE_2023), check_carry)
    five = facts(con)
    assert len(reports(con)) == 5 and len(five) == batch_of(FIVE_2023).cells.height
    counts = load_years(con, batch_of((files["late"],)), check_carry)
    assert counts["documents"] == 1 and counts["reports"] == 1
    got = reports(con)
    assert len(got) == 6 and "宁安市人民政府" in got
    assert [f for f in facts(con) if f[0] != "宁安市人民政府"] == five  # the five earlier reports, as they were
    assert len(facts(con, "宁安市人民政府")) == batch_of((files["late"],)).cells.height
    assert con.execute("SELECT count(*) FROM dim_document WHERE year = 2023 AND status = 'loaded'").fetchone() == (6,)


def test_the_version_is_chosen_among_every_load_in_any_order(tmp_path, files):
    """A re-post that does not add up, loaded after the report or before it: the report that
    adds up is chosen either way, the re-post stays as a superseded version with its difference."""
    orders = {"report first": [FIVE_2023, (files["misprinted"],)], "re-post first": [(files["misprinted"],), FIVE_2023]}
    states = {}
    for name, inboxes in orders.items():
        con = connect(tmp_path / f"{name}.duckdb")
        ensure_schema(con)
        for paths in inboxes:
            load_years(con, batch_of(paths), check_carry)
        chosen, versions = reports(con)[QIDONG_AGENCY]
        assert versions == 2
        assert con.execute("SELECT source_file FROM dim_document WHERE document_id = ?", [chosen]).fetchone()[0] == str(QIDONG)
        diff = con.execute("""SELECT category_code, applicant_type, value, loaded_value FROM fact_version_difference
                              JOIN dim_document d USING (document_id) WHERE d.source_file LIKE '%repost.txt'""").fetchall()
        assert diff == [("application.new_received", "total", 160.0, 159.0)]
        # the re-post's T3_APPLICANT_SUM finding is kept with it, not shown for the chosen report
        assert con.execute("SELECT count(*) FROM document_violation v JOIN dim_document d USING (document_id) "
                           "WHERE d.status = 'superseded'").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM fact_identity_violation").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM dim_document WHERE first_loaded IS NULL").fetchone() == (0,)
        states[name] = snapshot(con)
        # when each was first loaded differs, by design; nothing else does
        states[name]["dim_document"] = sorted(con.execute("SELECT * EXCLUDE (first_loaded) FROM dim_document").fetchall(), key=repr)
        con.close()
    assert states["report first"] == states["re-post first"]


def test_loading_an_inbox_again_changes_nothing(tmp_path, files):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_of(FIVE_2023), check_carry)
    load_years(con, batch_of((files["misprinted"], files["late"])), check_carry)
    before = snapshot(con)
    load_years(con, batch_of((files["misprinted"], files["late"])), check_carry)
    load_years(con, batch_of(FIVE_2023), check_carry)
    assert snapshot(con) == before


def test_retracting_the_chosen_version_chooses_again_and_is_recorded(tmp_path, files):
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_of((*FIVE_2023, files["misprinted"])), check_carry)
    good, _ = reports(con)[QIDONG_AGENCY]
    assert con.execute("SELECT count(*) FROM fact_identity_violation").fetchone() == (0,)

    counts = retract(con, good, "auditor", "published by mistake", check_carry)
    repost, versions = reports(con)[QIDONG_AGENCY]
    assert repost != good and versions == 1 and counts["reports"] == 1
    assert con.execute("SELECT document_id, retracted_by, reason FROM retraction").fetchall() == [
        (good, "auditor", "published by mistake")]
    assert con.execute("SELECT status FROM dim_document WHERE document_id = ?", [good]).fetchone() == ("retracted",)
    # the findings follow the chosen document: the re-post's misprinted total is now the agency-year's
    found = con.execute("SELECT identity, scope, expected, printed, document_id FROM fact_identity_violation").fetchall()
    assert ("T3_APPLICANT_SUM", repost) in {(i, d) for i, _, _, _, d in found}
    assert all(d == repost for *_, d in found)
    assert con.execute("SELECT count(*) FROM fact_version_difference").fetchone() == (0,)
    value = con.execute(f"""SELECT value FROM v_disclosure_facts WHERE agency = '{QIDONG_AGENCY}'
                            AND category_code = 'application.new_received' AND applicant_type = 'total'""").fetchall()
    assert value == [(160.0,)]

    # met again in a later inbox, the retracted document is not loaded, and says why
    load_years(con, batch_of((QIDONG,)), check_carry)
    assert reports(con)[QIDONG_AGENCY] == (repost, 1)
    assert con.execute("SELECT stage, reason FROM rejected_document WHERE document_id = ?", [good]).fetchone()[1].startswith(
        "retracted by auditor on ")

    # retracting the last version leaves no report for the agency-year, and nothing else changes
    others = [f for f in facts(con) if f[0] != QIDONG_AGENCY]
    retract(con, repost, "auditor", "not the office's report", check_carry)
    assert QIDONG_AGENCY not in reports(con) and facts(con, QIDONG_AGENCY) == []
    assert facts(con) == others
    assert con.execute("SELECT count(*) FROM fact_identity_violation").fetchone() == (0,)


def test_carry_findings_follow_the_chosen_document(tmp_path, files):
    """XY_CARRY is checked against the chosen version of each year: 2024 carries over 3; the
    misprinted 2023 re-post carries none forward, a corrected 2023 report carries 3."""
    text = QIDONG.read_text(encoding="utf-8")
    assert FORWARD in text
    next_year = tmp_path / "qidong-office-2024.txt"
    next_year.write_text(text.replace("2023", "2024"), encoding="utf-8")
    corrected = tmp_path / "qidong-office-2023-corrected.txt"  # 3 more received, 3 carried forward: balances
    corrected.write_text(text.replace(NEW_RECEIVED, NEW_RECEIVED.replace("\n159\n", "\n162\n")).replace(FORWARD, FORWARD_3),
                         encoding="utf-8")
    carry = "SELECT year, scope, expected, printed FROM fact_identity_violation WHERE identity = 'XY_CARRY' ORDER BY scope"
    broken = [(2024, "column natural_person", 0.0, 3.0), (2024, "column total", 0.0, 3.0)]
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_of((next_year,), 2024), check_carry)
    load_years(con, batch_of((files["misprinted"],)), check_carry)
    assert con.execute(carry).fetchall() == broken
    load_years(con, batch_of((corrected,)), check_carry)  # adds up: chosen, and carries forward what 2024 carries over
    chosen, versions = reports(con)[QIDONG_AGENCY]
    assert versions == 2
    assert con.execute("SELECT source_file FROM dim_document WHERE document_id = ?", [chosen]).fetchone() == (str(corrected),)
    assert con.execute(carry).fetchall() == []
    retract(con, chosen, "auditor", "withdrawn by the office", check_carry)
    assert con.execute(carry).fetchall() == broken


def test_a_warehouse_from_before_accumulation_keeps_its_reports(tmp_path, files):
    """Its chosen reports' cells lived in the fact tables only: they become the documents' own,
    so a later load of another version chooses between both, and loses none."""
    con = connect(tmp_path / "w.duckdb")
    ensure_schema(con)
    load_years(con, batch_of(FIVE_2023), check_carry)
    before = facts(con)
    # what a warehouse made by the earlier loader held: no cell store, no ranking columns
    con.execute("DELETE FROM document_cell")
    con.execute("DELETE FROM document_violation")
    con.execute("UPDATE dim_document SET cells = NULL, cells_read = NULL, warnings = NULL, violations = NULL, quality_status = NULL")
    ensure_schema(con)
    assert con.execute("SELECT count(*) FROM document_cell").fetchone() == (len(before),)
    assert con.execute("SELECT count(*) FROM dim_document WHERE cells_read IS NULL").fetchone() == (0,)
    load_years(con, batch_of((files["misprinted"],)), check_carry)
    assert facts(con) == before
    assert reports(con)[QIDONG_AGENCY][1] == 2
