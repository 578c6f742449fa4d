"""The BI views written out for people and other engines: Excel, CSV, or Parquet by year.

- xlsx: one sheet per view and a sheet ``columns`` that explains every column (from the
  warehouse's comments), written with openpyxl in write-only mode (rows streamed, not held);
  each sheet opens well: the columns' codes in row 1 and their Chinese headers in row 2 (from
  the warehouse's dim_code_label, set ``column``), both frozen, an autofilter on row 2, numbers
  formatted (thousands separated; years and ranks plain; fractions to 4 places), columns wide
  enough to read their headers;
- csv: one UTF-8 file per view, and ``columns.csv``, by DuckDB's COPY; with ``excel``, each
  starts with a UTF-8 byte order mark, without which Excel reads UTF-8 as the local code page
  (乱码);
- parquet: one folder per view, hive-partitioned by year (``v_report_overview/year=2024/...``)
  by DuckDB's COPY ... PARTITION_BY, so that other engines (and a lake catalog) read it as is.
  Exporting some years replaces those years' folders and leaves the others.

What comes from the reports is data, never a formula: every text cell of the workbook is
written as text (an agency named ``=WEBSERVICE(...)`` stays that text), and a CSV text field
that starts with ``= + - @``, a tab or a carriage return gets a leading ``'`` (OWASP's rule
against CSV injection); numbers stay numbers.

Everything is written into a private temporary folder inside the target folder (mkdtemp: a
fresh name, mode 0700, where nobody can plant a symbolic link), and only once every file is
whole is each renamed onto its name: a symbolic link found at a name is replaced, never
written through. A write that fails (a full or read-only disk) is one `ExportError` naming
the file and the operating system's reason, and leaves the folder as it was: no temporary
file, and no export renamed into place while another failed.
"""
from __future__ import annotations

import codecs
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from decimal import Decimal
from pathlib import Path

import duckdb

from warehouse.statements import run, statements
from warehouse.writer import os_reason

# The safe views first (docs/data-dictionary.md: Start here); v_disclosure_facts, every cell, last
VIEWS = ("v_report_overview", "v_applications_wide", "v_application_counts", "v_active_disclosure", "v_review_litigation",
         "v_metrics", "v_narrative_checks", "v_identity_findings", "v_year_over_year", "v_category_values",
         "v_disclosure_facts")
FORMATS = ("xlsx", "csv", "parquet")
EXCEL_ROWS = 1_048_575  # an Excel sheet's rows, less the header
WORKBOOK = "xxgk.xlsx"
# What a spreadsheet takes for the start of a formula (OWASP, CSV injection)
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Column types a CSV holds as they are (numbers, truth values, times); any other is text
_PLAIN_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
                "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN", "DATE", "TIME", "TIMESTAMP", "INTERVAL"}

# Excel number formats: counts with thousands separated; these integers plain (2,024 is no year)
_PLAIN_INTEGERS = {"year", "previous_year", "statement_no", "sort_order", "rank_in_province", "ranked_in_province",
                   "rank_in_level", "ranked_in_level"}
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
COUNT_FORMAT, PLAIN_FORMAT, FRACTION_FORMAT = "#,##0", "0", "#,##0.0000"


class ExportError(Exception):
    """Something the user can fix (too many rows for Excel, an unwritable folder, a full disk)."""


def _column_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{column: Chinese header}; none where the warehouse has no dim_code_label."""
    return dict(run(con, "export/labels").fetchall()) if run(con, "export/has_labels").fetchone()[0] else {}



def export(con: duckdb.DuckDBPyConnection, to: str, out: Path, years: list[int] | None = None,
           say: Callable[[str], None] = print, excel: bool = False) -> list[Path]:
    """Write the views in format `to` under `out`; returns the files or folders written. With
    `excel`, CSV files start with a UTF-8 byte order mark (Excel then reads them as UTF-8)."""
    if to not in FORMATS:
        raise ExportError(f"unknown format {to!r}: choose one of {', '.join(FORMATS)}")
    years = years or None  # none given: every year
    counts = {v: run(con, "export/count", {"view": v, "years": years}).fetchone()[0] for v in VIEWS}
    if to == "xlsx":
        _check_excel_rows(counts)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot write {out}: {error.strerror}") from error
    with _Staging(out) as stage:
        if to == "xlsx":
            _xlsx(con, stage.add(WORKBOOK), years, counts, say)
        else:
            for view in VIEWS:
                if to == "csv":
                    _csv(con, "export/rows", {"view": view, "years": years}, stage.add(f"{view}.csv"), excel)
                else:
                    _parquet(con, stage, view, years, counts[view])
                say(f"  {view}: {counts[view]:,} rows -> {out / (f'{view}.csv' if to == 'csv' else view)}")
            if to == "csv":
                columns = "export/columns" if _column_labels(con) else "export/columns_unlabelled"
                _csv(con, columns, {"views": list(VIEWS)}, stage.add("columns.csv"), excel)
        return stage.commit()


def _csv(con: duckdb.DuckDBPyConnection, name: str, params: dict, path: Path, excel: bool) -> None:
    """The rows of sql/<name>.sql, text-safe, as a CSV file (behind a byte order mark with `excel`)."""
    ((query, _),) = statements(name)
    con.execute(f"COPY ({_text_safe(con, query, params)}) TO $path (FORMAT csv, HEADER)", {**params, "path": str(path)})
    if excel:
        _byte_order_mark(path)


def _byte_order_mark(path: Path) -> None:
    """The file again, behind a UTF-8 byte order mark (in the staging folder: nothing is final yet)."""
    marked = path.with_name(path.name + ".bom")
    with open(path, "rb") as src, open(marked, "wb") as dst:
        dst.write(codecs.BOM_UTF8)
        shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(marked, path)


def _check_excel_rows(counts: dict[str, int]) -> None:
    too_big = {v: n for v, n in counts.items() if n > EXCEL_ROWS}
    if too_big:
        raise ExportError("too many rows for an Excel sheet (1,048,575): "
                          + ", ".join(f"{v} {n:,}" for v, n in too_big.items())
                          + "; choose fewer --years, or --to parquet")


def _text_safe(con: duckdb.DuckDBPyConnection, query: str, params: dict) -> str:
    """`query` with a leading ' on every text value that a spreadsheet would take for a
    formula (one starting with = + - @, a tab or a carriage return); columns of numbers,
    times and truth values as they are (a negative number is not text). Built here: which
    columns are text only DESCRIBE says, and SQL cannot choose its columns by their type."""
    leads = ", ".join(f"chr({ord(c)})" for c in FORMULA_LEADS)
    columns = []
    for name, kind, *_ in con.execute(f"DESCRIBE {query}", params).fetchall():
        column = '"' + name.replace('"', '""') + '"'
        if kind.split("(")[0].split(" ")[0] in _PLAIN_TYPES:
            columns.append(column)
        else:
            text = f"CAST({column} AS VARCHAR)"
            columns.append(f"CASE WHEN left({text}, 1) IN ({leads}) THEN chr(39) || {text} ELSE {text} END AS {column}")
    return f"SELECT {', '.join(columns)} FROM (\n{query}\n)"


def _parquet(con, stage: _Staging, view: str, years: list[int] | None, count: int) -> None:
    """The view's rows, a folder per year, into the staging folder. The years exported replace
    their folders and the others stay, in a folder of ours; anything else at the view's name
    (a symbolic link) is replaced whole, not followed."""
    final = stage.out / view
    whole = final.is_symlink() or not final.is_dir()
    staged = stage.add(view) if whole else stage.folder / view
    if count:
        run(con, "export/parquet", {"view": view, "years": years, "path": str(staged)})
    else:
        staged.mkdir()
    if not whole:
        for year in years or [r[0] for r in run(con, "export/years", {"view": view}).fetchall()]:
            stage.add(f"{view}/year={year}")  # this year's rows are replaced (none: its folder goes), others kept
        stage.written.append(final)


def _xlsx(con, path: Path, years, counts: dict[str, int], say) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    labels = _column_labels(con)
    try:
        for view in VIEWS:
            sheet = book.create_sheet(view)
            columns = run(con, "export/describe", {"view": view}).fetchall()
            names = [c[0] for c in columns]
            headers = [labels.get(name) or name for name in names]
            _lay_out(sheet, names, headers, counts[view])
            rows = _TextCells(sheet, [_number_format(name, kind) for name, kind, *_ in columns])
            rows.append(names, header=True)
            rows.append(headers, header=True)
            cursor = run(con, "export/rows", {"view": view, "years": years})
            while batch := cursor.fetchmany(10_000):
                for row in batch:
                    rows.append(row)
            sheet.close()  # its rows wait in a file of their own: one sheet's stream open at a time
            say(f"  {view}: {counts[view]:,} rows -> sheet {view}")
        sheet = book.create_sheet("columns")
        cursor = run(con, "export/columns" if labels else "export/columns_unlabelled", {"views": list(VIEWS)})
        names = [d[0] for d in cursor.description]
        found = cursor.fetchall()
        _lay_out(sheet, names, ["视图", "列", "类型", "含义", "中文列名"], len(found), widths=[22, 30, 14, 90, 24])
        rows = _TextCells(sheet, [None] * len(names))
        rows.append(names, header=True)
        rows.append(["视图", "列", "类型", "含义", "中文列名"], header=True)
        for row in found:
            rows.append(row)
        sheet.close()
        with open(path, "wb") as fh:
            _save(book, fh)
    except BaseException:
        _discard(book)
        raise


def _save(book, fh) -> None:
    """openpyxl's save_workbook, with its zip closed here when writing fails (left to the
    collector, it would try again on a closed file and print what failed)."""
    import datetime
    from zipfile import ZIP_DEFLATED, ZipFile

    from openpyxl.writer.excel import ExcelWriter

    archive = ZipFile(fh, "w", ZIP_DEFLATED, allowZip64=True)
    book.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)
    try:
        ExcelWriter(book, archive).save()
    except BaseException:
        with suppress(Exception):
            archive.close()
        raise


def _number_format(name: str, kind: str) -> str | None:
    """The Excel format of a column's numbers: plain for years and ranks, thousands separated
    for counts, and for DECIMAL and DOUBLE chosen per value (a fraction to 4 places); None for
    any other type."""
    base = kind.split("(")[0]
    if base in _INTEGER_TYPES:
        return PLAIN_FORMAT if name in _PLAIN_INTEGERS else COUNT_FORMAT
    if base in ("DECIMAL", "DOUBLE", "FLOAT"):
        return "auto"
    return None


def _lay_out(sheet, names: list[str], headers: list[str], rows: int, widths: list[int] | None = None) -> None:
    """Before the first row (write-only sheets): columns wide enough for their headers, the two
    header rows frozen, an autofilter over the data under the Chinese headers."""
    from openpyxl.utils import get_column_letter

    for i, (name, header) in enumerate(zip(names, headers), start=1):
        width = widths[i - 1] if widths else min(max(len(name), 2 * len(header), 8) + 2, 40)
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(max(len(names), 1))}{rows + 2}"


class _TextCells:
    """A sheet's rows with every text as a text cell, whatever it starts with: openpyxl takes
    a text that starts with '=' for a formula (and '#N/A' for an error value), so each text
    goes in a cell whose type is set after its value; numbers in a cell with their column's
    format. One cell per column, used again row after row (a row is written whole before
    `append` returns): no cell made per value."""

    def __init__(self, sheet, formats: list[str | None]):
        self.sheet = sheet
        self.formats = formats
        self.cells: list = []
        self.numbers: dict = {}

    def _cell(self, cells: list, i: int):
        from openpyxl.cell import WriteOnlyCell

        while len(cells) <= i:
            cells.append(WriteOnlyCell(self.sheet))
        return cells[i]

    def append(self, row, header: bool = False) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.styles import Font
        from openpyxl.utils.exceptions import IllegalCharacterError

        values = list(row)
        for i, value in enumerate(values):
            if isinstance(value, str):
                if header:  # a cell of its own: a header's font is not reused for data
                    from openpyxl.cell import WriteOnlyCell

                    cell = WriteOnlyCell(self.sheet)
                    cell.font = Font(bold=True)
                else:
                    cell = self._cell(self.cells, i)
                try:
                    cell.value = value
                except IllegalCharacterError:  # a control character no Excel cell can hold: left out
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"
                values[i] = cell
            elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and i < len(self.formats) \
                    and self.formats[i] is not None:
                number_format = self.formats[i]
                if number_format == "auto":
                    number_format = COUNT_FORMAT if math.isfinite(value) and value == int(value) else FRACTION_FORMAT
                # a cell per column and format: a cell's style is read when the sheet is saved, not now
                cell = self.numbers.get((i, number_format))
                if cell is None:
                    from openpyxl.cell import WriteOnlyCell

                    cell = self.numbers[(i, number_format)] = WriteOnlyCell(self.sheet)
                    cell.number_format = number_format
                cell.value = value
                values[i] = cell
        self.sheet.append(values)


def _discard(book) -> None:
    """A workbook that could not be written: its sheets' streams closed and their temporary
    files removed now (else each stream complains when collected, and the files stay until
    the process ends)."""
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    for sheet in book.worksheets:
        writer = getattr(sheet, "_writer", None)
        for stream in (getattr(sheet, "_rows", None), getattr(writer, "xf", None)):
            if stream is not None:
                with suppress(Exception):
                    stream.close()
        if writer is not None and writer.out in ALL_TEMP_FILES:
            with suppress(OSError, ValueError):
                writer.cleanup()


class _Staging:
    """A private temporary folder inside `out`, where an export is written whole; `commit`
    renames each file or folder staged onto its name. A failure of the disk, here or in the
    block, becomes one ExportError that names the export and the reason; the folder (and what
    the export replaced) is removed in every case."""

    def __init__(self, out: Path):
        self.out = out
        self.names: list[str] = []  # what the export writes, as paths under `out`, in order
        self.written: list[Path] = []  # what to report as written, beside the top-level names

    def __enter__(self) -> _Staging:
        try:
            self.folder = Path(tempfile.mkdtemp(dir=self.out, prefix=".xxgk-export-"))
        except OSError as error:
            raise ExportError(f"cannot write {self.out}: {error.strerror}") from error
        return self

    def __exit__(self, kind, error, tb) -> bool:
        shutil.rmtree(self.folder, ignore_errors=True)
        if error is None or isinstance(error, ExportError) or not isinstance(error, Exception):
            return False
        found = os_reason(error)
        if found is None:
            return False  # not the disk's doing: raised as it is
        reason, file = found
        raise ExportError(f"cannot write {self._final(file)}: {reason}") from error

    def add(self, name: str) -> Path:
        """Where to write `name` (a path under `out`), to be renamed onto it by `commit`; when
        nothing is written there, `commit` removes what `out` has at that name."""
        self.names.append(name)
        return self.folder / name

    def _final(self, file: str | None) -> Path:
        """The export a failed write belongs to, as the user knows it."""
        if file:
            with suppress(ValueError):
                return self.out / Path(file).relative_to(self.folder)
        return self.out / self.names[-1] if self.names else self.out

    def commit(self) -> list[Path]:
        """Every staged file synced to disk, then each renamed onto its name; what was there is
        set aside (a link is moved itself, never followed), and put back if a rename fails."""
        done: list[tuple[Path, Path | None]] = []
        final = self.out
        try:
            for name in self.names:
                final = self.out / name
                for path in _files(self.folder / name):
                    _sync(path)
            trash = self.folder / ".replaced"
            trash.mkdir()
            for n, name in enumerate(self.names):
                staged, final = self.folder / name, self.out / name
                kept = None
                if final.is_symlink() or final.exists():
                    kept = trash / str(n)
                    os.rename(final, kept)
                done.append((final, kept))
                if staged.exists():
                    os.rename(staged, final)
        except OSError as error:
            for back, kept in reversed(done):
                with suppress(OSError):
                    if back.is_dir() and not back.is_symlink():
                        shutil.rmtree(back)
                    elif back.is_symlink() or back.exists():
                        back.unlink()
                    if kept is not None:
                        os.rename(kept, back)
            raise ExportError(f"cannot write {final}: {error.strerror}") from error
        with suppress(OSError):  # the renames themselves on disk, where a folder can be synced
            _sync(self.out, follow=True)
        return [*(self.out / n for n in self.names if "/" not in n), *self.written]


def _files(path: Path) -> Iterator[Path]:
    if path.is_dir() and not path.is_symlink():
        yield from (p for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink())
    elif path.is_file():
        yield path


def _sync(path: Path, follow: bool = False) -> None:
    """On disk before it takes its name (a file system that fails late says so here)."""
    fd = os.open(path, os.O_RDONLY | (0 if follow else os.O_NOFOLLOW))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
