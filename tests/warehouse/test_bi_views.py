"""The BI views on the samples (tests/bi_fixture.py), against figures read by hand from the files.

qidong-office-2023.txt, table 三, total column: 新收 159, 上年结转 3, 予以公开 42, 部分公开 28,
不予公开 0+0+0+0+1+0+0+1 = 2, 无法提供 27+1+0 = 28, 不予处理 2+2+0+2+0 = 6, 其他处理 3+0+53 = 56
(printed as its three items only), 总计 162, 结转下年 0; table 四: 复议 6/0/0/0/6, both 诉讼 groups 0;
收费 0 万元.
hongze-2024.pdf (pages 3-4): 新收 95, 上年结转 0, 予以公开 50, 部分公开 9, 不予公开 0+0+1+0+0+1+1+0 = 3,
无法提供 31+1+0 = 32, 不予处理 1+0+0+0+0 = 1, 其他处理 0 (printed as one row), 总计 95, 结转 0;
复议 1 1 0 0 2, 直接起诉 1 0 0 0 1, 复议后起诉 2 0 1 0 3; 收费 7545 万元.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from warehouse.loader import connect

OVERVIEW = ("received", "carried_over", "granted", "partially_granted", "denied", "unavailable", "not_processed",
            "other_handling", "results_total", "carried_forward", "review_total", "litigation_direct_total",
            "litigation_after_review_total", "fees_10k_yuan", "quality_status", "identity_violations")


@pytest.fixture(scope="module")
def con(bi_warehouse):
    with connect(bi_warehouse["XXGK_WAREHOUSE"], read_only=True) as c:
        yield c


def overview(con, source: str) -> dict:
    cur = con.execute(f"SELECT * FROM v_report_overview WHERE source_file LIKE '%{source}'")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0]))


def test_report_overview_qidong_2023(con):
    row = overview(con, "qidong-office-2023.txt")
    assert tuple(row[c] for c in OVERVIEW) == (159, 3, 42, 28, 2, 28, 6, 56, 162, 0, 6, 0, 0, Decimal("0"), "passed", 0)
    assert (row["agency"], row["province"], row["city"], row["county"], row["county_code"], row["level"], row["kind"]) == (
        "启东市人民政府办公室", "江苏省", "南通市", "启东市", "320681", "county", "人民政府办公室")


def test_report_overview_hongze_2024(con):
    row = overview(con, "hongze-2024.pdf")
    assert tuple(row[c] for c in OVERVIEW) == (95, 0, 50, 9, 3, 32, 1, 0, 95, 0, 2, 1, 3, Decimal("7545"), "passed", 0)
    assert (row["agency"], row["region_code"], row["parent_agency_name"]) == ("淮安市洪泽区人民政府", "320813", "淮安市人民政府")


def test_report_overview_types_and_one_row_per_agency_year(con):
    types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                             "WHERE table_name = 'v_report_overview'").fetchall())
    assert types["received"] == types["denied"] == types["review_total"] == "BIGINT"
    assert types["fees_10k_yuan"] == "DECIMAL(18,4)"
    assert con.execute("SELECT count(*), count(DISTINCT (agency_id, year)) FROM v_report_overview").fetchone() == (7, 7)
    # the lingdong report converts 1077980元 to 万元: an amount, kept exact
    assert overview(con, "lingdong-2023.txt")["fees_10k_yuan"] == Decimal("107.798")


def test_aliases_are_one_agency_and_paired_year_over_year(con):
    rows = con.execute("""SELECT year, agency, agency_as_printed FROM v_report_overview
                          WHERE county_code = '320681' ORDER BY year""").fetchall()
    assert rows == [(2023, "启东市人民政府办公室", "启东市人民政府办公室"), (2024, "启东市人民政府办公室", "启东市政府办公室")]
    yoy = {r[0]: r[1:] for r in con.execute(
        """SELECT category_code, previous_value, value, change, change_pct, is_subtotal FROM v_year_over_year
           WHERE region_code = '320681' AND applicant_type = 'total'"""
    ).fetchall()}
    assert yoy["application.new_received"] == (Decimal("159"), Decimal("167"), Decimal("8"), Decimal("5.0"), False)
    assert yoy["result.granted"] == (Decimal("42"), Decimal("50"), Decimal("8"), Decimal("19.0"), False)
    assert yoy["result.total"] == (Decimal("162"), Decimal("170"), Decimal("8"), Decimal("4.9"), False)
    assert yoy["result.denied"] == (Decimal("2"), Decimal("2"), Decimal("0"), Decimal("0.0"), True)
    assert yoy["result.other"] == (Decimal("56"), Decimal("56"), Decimal("0"), Decimal("0.0"), True)
    assert yoy["application.carried_forward"][:2] == (Decimal("0"), Decimal("0"))
    assert yoy["application.carried_forward"][3] is None  # no per cent of 0
    # every other agency has one year only
    assert con.execute("SELECT DISTINCT region_code FROM v_year_over_year").fetchall() == [("320681",)]


def test_identity_findings_in_chinese_with_document_and_location(con):
    rows = con.execute("""SELECT agency, year, identity, identity_label, scope_label, expected, printed, difference,
                                 location, source_file
                          FROM v_identity_findings ORDER BY scope""").fetchall()
    docs = dict(con.execute("SELECT year, document_id FROM dim_document WHERE agency_id = "
                            "(SELECT agency_id FROM dim_agency WHERE county_code = '320681')").fetchall())
    assert [r[:8] for r in rows] == [
        ("启东市人民政府办公室", 2024, "XY_CARRY", "跨年结转", "列：自然人", Decimal(0), Decimal(3), Decimal(3)),
        ("启东市人民政府办公室", 2024, "XY_CARRY", "跨年结转", "列：总计", Decimal(0), Decimal(3), Decimal(3)),
    ]
    # 结转下年 total of 2023 on line 512, 上年结转 total of 2024 on line 134 (the files' own line numbers)
    assert set(rows[1][8].split("; ")) == {f"doc {docs[2023]}, line 512", f"doc {docs[2024]}, line 134"}
    assert rows[0][9].endswith("qidong-office-2024.txt")


def test_unresolved_agency_keeps_null_region_and_gets_a_warning(tmp_path):
    import polars as pl

    from warehouse.agency import register_agencies
    from warehouse.loader import ensure_schema
    from warehouse.statements import run

    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(c)
    register_agencies(c, ["城区人民政府", "启东市人民政府办公室"])
    row = c.execute("SELECT region_code, level, kind, resolution_problem FROM dim_agency "
                    "WHERE agency_name = '城区人民政府'").fetchone()
    assert row[:3] == (None, None, None) and row[3].startswith("城区 is ambiguous")
    c.register("documents", pl.DataFrame({"document_id": ["d1", "d2"], "agency": ["城区人民政府", "启东市人民政府办公室"],
                                          "year": [2023, 2023], "status": ["loaded", "loaded"]}))
    assert run(c, "agency/unresolved_warnings").fetchone() == (1,)
    assert c.execute("SELECT document_id, kind FROM fact_extraction_warning").fetchall() == [("d1", "agency_not_resolved")]


def test_a_warehouse_keyed_by_printed_names_is_re_keyed(tmp_path):
    """Before agencies were resolved, agency_id was md5(printed name); ensure_schema moves such rows."""
    import hashlib

    from warehouse.loader import ensure_schema

    c = duckdb.connect(str(tmp_path / "old.duckdb"))
    c.execute("CREATE TABLE dim_agency (agency_id VARCHAR PRIMARY KEY, agency_name VARCHAR NOT NULL)")
    old = {n: hashlib.md5(n.encode()).hexdigest()[:12] for n in ("洪泽区人民政府", "淮安市洪泽区人民政府", "国家统计局")}
    c.executemany("INSERT INTO dim_agency VALUES (?, ?)", [(i, n) for n, i in old.items()])
    c.execute("CREATE TABLE fact_report (agency_id VARCHAR NOT NULL, year INTEGER NOT NULL, document_id VARCHAR NOT NULL, "
              "format_version VARCHAR NOT NULL, cells INTEGER NOT NULL, cells_read INTEGER NOT NULL, warnings INTEGER NOT NULL, "
              "versions INTEGER NOT NULL, quality_status VARCHAR NOT NULL)")
    c.executemany("INSERT INTO fact_report VALUES (?, ?, ?, '2021', 1, 1, 0, 1, 'passed')",
                  [(old["洪泽区人民政府"], 2023, "a"), (old["淮安市洪泽区人民政府"], 2024, "b"), (old["国家统计局"], 2024, "c")])
    ensure_schema(c)
    hongze = c.execute("SELECT agency_id FROM dim_agency WHERE county_code = '320813'").fetchall()
    assert len(hongze) == 1
    assert c.execute("SELECT year, agency_id FROM fact_report ORDER BY year, document_id").fetchall() == [
        (2023, hongze[0][0]), (2024, hongze[0][0]), (2024, old["国家统计局"])]  # unresolved: its id is unchanged
    assert c.execute("SELECT count(*) FROM dim_agency").fetchone() == (2,)
    assert c.execute("SELECT agency_key('洪泽区人民政府') = agency_key('淮安市洪泽区人民政府')").fetchone() == (True,)
