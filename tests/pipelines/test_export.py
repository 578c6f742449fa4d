"""`xxgk export`: the views round-trip through Excel, CSV and year-partitioned Parquet."""
from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from decimal import Decimal

import duckdb
import pytest
from openpyxl import load_workbook

import warehouse.export
from pipelines.cli import main
from warehouse.export import VIEWS, ExportError, export
from warehouse.loader import connect


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def plain(value):
    """What a cell holds once read back: numbers as numbers, whatever their SQL type; an Excel
    cell cannot hold an empty text, so a blank printed cell reads back empty (its cell_status
    still says `blank`, not `not_placed`)."""
    if value == "":
        return None
    # a fraction (v_metrics) as Excel keeps it: to 15 significant digits
    return round(float(value), 12) if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool) else value


@pytest.fixture(scope="module")
def warehouse_file(bi_warehouse):
    return bi_warehouse["XXGK_WAREHOUSE"]


def view_rows(path, view: str, where: str = "") -> list[tuple]:
    with connect(path, read_only=True) as con:
        return con.execute(f"SELECT * FROM {view} {where} ORDER BY ALL").fetchall()


def test_workbook_has_a_sheet_per_view_and_explains_the_columns(warehouse_file, tmp_path):
    code, out, _ = cli("export", "--to", "xlsx", "--warehouse", warehouse_file, "--out", str(tmp_path))
    assert code == 0 and "v_report_overview: 7 rows" in out
    book = load_workbook(tmp_path / "xxgk.xlsx", read_only=True)
    assert book.sheetnames == [*VIEWS, "columns"]
    for view in VIEWS:
        rows = list(book[view].iter_rows(values_only=True))
        want = view_rows(warehouse_file, view)
        assert len(rows) == len(want) + 2  # the columns' codes, then their Chinese headers
        width = len(rows[0])  # a read-only sheet drops a row's trailing empty cells
        got = [tuple(plain(v) for v in r) + (None,) * (width - len(r)) for r in rows[2:]]
        assert got == [tuple(plain(v) for v in r) for r in want], view
        assert all(rows[1]) and len(rows[1]) == width, view  # every column has its Chinese header
    facts = list(book["v_disclosure_facts"].iter_rows(values_only=True))
    printed, status = facts[0].index("printed"), facts[0].index("cell_status")
    # an empty printed cell is one the report did not print (fuxin's and dongning's six-zero rows, the
    # derived result.other), a blank it printed, or a cell never placed: cell_status tells which
    assert {r[status] for r in facts[2:] if r[printed] is None} == {"inferred", "derived"}
    columns = {(r[0], r[1]): (r[3], r[4]) for r in book["columns"].iter_rows(min_row=3, values_only=True)}
    assert columns[("v_report_overview", "denied")] == ("（三）不予公开: sum of its 8 items (total column).", "不予公开")
    assert all(m and label for m, label in columns.values())
    # the hand-checked figures of hongze-2024, as a spreadsheet user sees them
    sheet = list(book["v_report_overview"].iter_rows(values_only=True))
    row = dict(zip(sheet[0], next(r for r in sheet[2:] if r[sheet[0].index("source_file")].endswith("hongze-2024.pdf"))))
    assert (row["received"], row["granted"], row["denied"], row["unavailable"], row["results_total"], row["fees_10k_yuan"]) == (
        95, 50, 3, 32, 95, 7545)


def test_workbook_opens_well_frozen_filtered_formatted_with_chinese_headers(warehouse_file, tmp_path):
    assert cli("export", "--to", "xlsx", "--warehouse", warehouse_file, "--out", str(tmp_path))[0] == 0
    book = load_workbook(tmp_path / "xxgk.xlsx")  # not read-only: panes, filters and formats as written
    sheet = book["v_applications_wide"]
    header = {c.value: c.column_letter for c in sheet[1]}
    assert [sheet[f"{header[c]}2"].value for c in ("agency", "year", "category_path", "natural_person", "total_printed",
                                                      "total_reconciled", "total_differs")] == [
        "机关", "统计年度", "行（模板全称）", "自然人", "总计（印出）", "总计（由分项求和）", "总计与分项之和不符"]
    assert sheet["A1"].font.bold and sheet["A2"].font.bold
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == f"A2:{sheet.cell(row=1, column=sheet.max_column).column_letter}{sheet.max_row}"
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].row and
               sheet[f"{header['source_file']}{r[0].row}"].value.endswith("qidong-office-2023.txt")
               and sheet[f"{header['category_code']}{r[0].row}"].value == "application.new_received")
    year, total = row[sheet[f"{header['year']}1"].column - 1], row[sheet[f"{header['total_printed']}1"].column - 1]
    assert (year.value, year.number_format, total.value, total.number_format) == (2023, "0", 159, "#,##0")
    # a fraction to four places, a count without any; the hand-computed 实质公开率 of hongze: (50 + 9) / 95
    metrics = book["v_metrics"]
    head = [c.value for c in metrics[1]]
    value = next(r[head.index("value")] for r in metrics.iter_rows(min_row=3)
                 if r[head.index("metric")].value == "disclosure_rate" and r[head.index("agency")].value == "淮安市洪泽区人民政府")
    assert (round(value.value, 6), value.number_format) == (0.621053, "#,##0.0000")
    assert sheet.column_dimensions[header["category_path"]].width >= 16


def test_csv_for_excel_starts_with_a_byte_order_mark(warehouse_file, tmp_path):
    assert cli("export", "--to", "csv", "--excel", "--warehouse", warehouse_file, "--out", str(tmp_path))[0] == 0
    for name in ("v_applications_wide.csv", "columns.csv"):
        assert (tmp_path / name).read_bytes().startswith(b"\xef\xbb\xbf")
    text = (tmp_path / "v_applications_wide.csv").read_text(encoding="utf-8-sig")
    assert text.startswith("agency_id,agency,agency_as_printed,year,") and "淮安市洪泽区人民政府" in text
    # DuckDB reads it as it reads the plain one
    got = duckdb.sql(f"SELECT count(*) FROM read_csv('{tmp_path / 'v_applications_wide.csv'}', header = true)").fetchone()
    assert got == (len(view_rows(warehouse_file, "v_applications_wide")),)
    code, _, err = cli("export", "--to", "xlsx", "--excel", "--warehouse", warehouse_file, "--out", str(tmp_path))
    assert code == 2 and "--excel is for --to csv" in err
    # without --excel, no mark: scripts read the files as plain UTF-8
    plain_out = tmp_path / "plain"
    assert cli("export", "--to", "csv", "--warehouse", warehouse_file, "--out", str(plain_out))[0] == 0
    assert (plain_out / "v_applications_wide.csv").read_bytes().startswith(b"agency_id,")


def test_parquet_is_hive_partitioned_by_year_and_round_trips(warehouse_file, tmp_path):
    assert cli("export", "--to", "parquet", "--warehouse", warehouse_file, "--out", str(tmp_path))[0] == 0
    assert sorted(p.name for p in (tmp_path / "v_disclosure_facts").iterdir()) == ["year=2023", "year=2024"]
    with connect(warehouse_file, read_only=True) as con:
        for view in VIEWS:
            files = str(tmp_path / view / "*" / "*.parquet")
            read = f"SELECT * REPLACE (CAST(year AS INTEGER) AS year) FROM read_parquet('{files}', hive_partitioning = true)"
            columns = ", ".join(f'"{d[0]}"' for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description)
            diff = con.execute(f"(SELECT {columns} FROM {view} EXCEPT ALL SELECT {columns} FROM ({read})) UNION ALL "
                               f"(SELECT {columns} FROM ({read}) EXCEPT ALL SELECT {columns} FROM {view})").fetchall()
            assert diff == [], view
    # exporting one year again replaces that year only
    (tmp_path / "v_disclosure_facts" / "year=2023" / "part_0.parquet").rename(tmp_path / "v_disclosure_facts" / "year=2023" / "kept.parquet")
    assert cli("export", "--to", "parquet", "--years", "2024", "--warehouse", warehouse_file, "--out", str(tmp_path))[0] == 0
    assert [p.name for p in (tmp_path / "v_disclosure_facts" / "year=2023").iterdir()] == ["kept.parquet"]
    counts = duckdb.sql(f"SELECT year, count(*) FROM read_parquet('{tmp_path}/v_disclosure_facts/*/*.parquet', "
                        "hive_partitioning = true) GROUP BY year ORDER BY year").fetchall()
    assert counts == [(2023, 1028), (2024, 393)]  # with the derived result.other cells (7 a report)


def test_csv_round_trips_the_facts(warehouse_file, tmp_path):
    assert cli("export", "--to", "csv", "--warehouse", warehouse_file, "--out", str(tmp_path))[0] == 0
    with connect(warehouse_file, read_only=True) as con:  # DuckDB's own text of each value, as COPY writes it
        want = con.execute("SELECT COLUMNS(*)::VARCHAR FROM v_disclosure_facts ORDER BY ALL").fetchall()
    got = duckdb.sql(f"SELECT * FROM read_csv('{tmp_path / 'v_disclosure_facts.csv'}', header = true, all_varchar = true, allow_quoted_nulls = false) "
                     "ORDER BY ALL").fetchall()
    assert len(got) == len(want) == 1421
    assert ('',) in {(r[7],) for r in got}  # a blank printed cell stays an empty text, not a null
    assert sorted(want, key=repr) == sorted(got, key=repr)
    assert (tmp_path / "columns.csv").read_text(encoding="utf-8").startswith("view,column,type,meaning,label\n")


def test_clear_errors(tmp_path, warehouse_file, monkeypatch):
    code, _, err = cli("export", "--to", "xlsx", "--warehouse", str(tmp_path / "none.duckdb"))
    assert code == 2 and "warehouse not found" in err
    monkeypatch.setattr(warehouse.export, "EXCEL_ROWS", 100)
    code, _, err = cli("export", "--to", "xlsx", "--warehouse", warehouse_file, "--out", str(tmp_path))
    assert code == 1 and "too many rows for an Excel sheet" in err and "v_disclosure_facts 1,421" in err
    assert not (tmp_path / "xxgk.xlsx").exists()
    with connect(warehouse_file, read_only=True) as con, pytest.raises(ExportError, match="unknown format"):
        export(con, "ods", tmp_path)
