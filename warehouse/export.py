"""The BI views written out for people and other engines: Excel, CSV, or Parquet by year.

- xlsx: one sheet per view and a sheet ``columns`` that explains every column (from the
  warehouse's comments), written with openpyxl in write-only mode (rows streamed, not held);
- csv: one UTF-8 file per view, and ``columns.csv``, by DuckDB's COPY;
- parquet: one folder per view, hive-partitioned by year (``v_report_overview/year=2024/...``)
  by DuckDB's COPY ... PARTITION_BY, so that other engines (and a lake catalog) read it as is.
  Exporting some years replaces those years' folders and leaves the others.
"""
from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

VIEWS = ("v_report_overview", "v_year_over_year", "v_identity_findings", "v_category_values", "v_disclosure_facts")
FORMATS = ("xlsx", "csv", "parquet")
EXCEL_ROWS = 1_048_575  # an Excel sheet's rows, less the header
WORKBOOK = "xxgk.xlsx"

_COLUMNS_SQL = """
SELECT c.table_name AS view, c.column_name AS "column", c.data_type AS type, c.comment AS meaning
FROM duckdb_columns() c
WHERE c.database_name = current_database() AND c.table_name IN ({names})
ORDER BY list_position([{names}], c.table_name), c.column_index
"""


class ExportError(Exception):
    """Something the user can fix (too many rows for Excel, an unwritable folder)."""


def _where(years: list[int] | None) -> str:
    return "" if not years else f" WHERE year IN ({', '.join(str(int(y)) for y in years)})"


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def columns_sql(views=VIEWS) -> str:
    return _COLUMNS_SQL.format(names=", ".join(f"'{v}'" for v in views))


def export(con: duckdb.DuckDBPyConnection, to: str, out: Path, years: list[int] | None = None,
           say: Callable[[str], None] = print) -> list[Path]:
    """Write the views in format `to` under `out`; returns the files or folders written."""
    if to not in FORMATS:
        raise ExportError(f"unknown format {to!r}: choose one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    counts = {v: con.execute(f"SELECT count(*) FROM {v}{_where(years)}").fetchone()[0] for v in VIEWS}
    if to == "xlsx":
        return [_xlsx(con, out / WORKBOOK, years, counts, say)]
    written = []
    for view in VIEWS:
        query = f"SELECT * FROM {view}{_where(years)} ORDER BY ALL"
        if to == "csv":
            target = out / f"{view}.csv"
            con.execute(f"COPY ({query}) TO {_quoted(target)} (FORMAT csv, HEADER)")
        else:
            target = out / view
            for year in years or [r[0] for r in con.execute(f"SELECT DISTINCT year FROM {view}").fetchall()]:
                shutil.rmtree(target / f"year={year}", ignore_errors=True)  # this year's rows are replaced, others kept
            if counts[view]:
                con.execute(f"COPY ({query}) TO {_quoted(target)} "
                            "(FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE, FILENAME_PATTERN 'part_{i}')")
        say(f"  {view}: {counts[view]:,} rows -> {target}")
        written.append(target)
    if to == "csv":
        target = out / "columns.csv"
        con.execute(f"COPY ({columns_sql()}) TO {_quoted(target)} (FORMAT csv, HEADER)")
        written.append(target)
    return written


def _xlsx(con, path: Path, years, counts: dict[str, int], say) -> Path:
    from openpyxl import Workbook

    too_big = {v: n for v, n in counts.items() if n > EXCEL_ROWS}
    if too_big:
        raise ExportError("too many rows for an Excel sheet (1,048,575): "
                          + ", ".join(f"{v} {n:,}" for v, n in too_big.items())
                          + "; choose fewer --years, or --to parquet")
    book = Workbook(write_only=True)
    for view in VIEWS:
        sheet = book.create_sheet(view)
        cursor = con.execute(f"SELECT * FROM {view}{_where(years)} ORDER BY ALL")
        sheet.append([d[0] for d in cursor.description])
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                sheet.append(list(row))
        say(f"  {view}: {counts[view]:,} rows -> sheet {view}")
    sheet = book.create_sheet("columns")
    cursor = con.execute(columns_sql())
    sheet.append([d[0] for d in cursor.description])
    for row in cursor.fetchall():
        sheet.append(list(row))
    tmp = path.with_suffix(".xlsx.tmp")
    book.save(tmp)
    tmp.replace(path)  # a reader never sees half a workbook
    return path
