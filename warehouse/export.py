"""The BI views written out for people and other engines: Excel, CSV, or Parquet by year.

- xlsx: one sheet per view and a sheet ``columns`` that explains every column (from the
  warehouse's comments), written with openpyxl in write-only mode (rows streamed, not held);
- csv: one UTF-8 file per view, and ``columns.csv``, by DuckDB's COPY;
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

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import duckdb

from warehouse.writer import os_reason

VIEWS = ("v_report_overview", "v_year_over_year", "v_identity_findings", "v_category_values", "v_disclosure_facts")
FORMATS = ("xlsx", "csv", "parquet")
EXCEL_ROWS = 1_048_575  # an Excel sheet's rows, less the header
WORKBOOK = "xxgk.xlsx"
# What a spreadsheet takes for the start of a formula (OWASP, CSV injection)
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# Column types a CSV holds as they are (numbers, truth values, times); any other is text
_PLAIN_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
                "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN", "DATE", "TIME", "TIMESTAMP", "INTERVAL"}

_COLUMNS_SQL = """
SELECT c.table_name AS view, c.column_name AS "column", c.data_type AS type, c.comment AS meaning
FROM duckdb_columns() c
WHERE c.database_name = current_database() AND c.table_name IN ({names})
ORDER BY list_position([{names}], c.table_name), c.column_index
"""


class ExportError(Exception):
    """Something the user can fix (too many rows for Excel, an unwritable folder, a full disk)."""


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
    counts = {v: con.execute(f"SELECT count(*) FROM {v}{_where(years)}").fetchone()[0] for v in VIEWS}
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
                query = f"SELECT * FROM {view}{_where(years)} ORDER BY ALL"
                if to == "csv":
                    con.execute(f"COPY ({_text_safe(con, query)}) TO {_quoted(stage.add(f'{view}.csv'))} (FORMAT csv, HEADER)")
                else:
                    _parquet(con, stage, view, query, years, counts[view])
                say(f"  {view}: {counts[view]:,} rows -> {out / (f'{view}.csv' if to == 'csv' else view)}")
            if to == "csv":
                con.execute(f"COPY ({_text_safe(con, columns_sql())}) TO {_quoted(stage.add('columns.csv'))} (FORMAT csv, HEADER)")
        return stage.commit()


def _check_excel_rows(counts: dict[str, int]) -> None:
    too_big = {v: n for v, n in counts.items() if n > EXCEL_ROWS}
    if too_big:
        raise ExportError("too many rows for an Excel sheet (1,048,575): "
                          + ", ".join(f"{v} {n:,}" for v, n in too_big.items())
                          + "; choose fewer --years, or --to parquet")


def _text_safe(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """`query` with a leading ' on every text value that a spreadsheet would take for a
    formula (one starting with = + - @, a tab or a carriage return); columns of numbers,
    times and truth values as they are (a negative number is not text)."""
    leads = ", ".join(f"chr({ord(c)})" for c in FORMULA_LEADS)
    columns = []
    for name, kind, *_ in con.execute(f"DESCRIBE {query}").fetchall():
        column = '"' + name.replace('"', '""') + '"'
        if kind.split("(")[0].split(" ")[0] in _PLAIN_TYPES:
            columns.append(column)
        else:
            text = f"CAST({column} AS VARCHAR)"
            columns.append(f"CASE WHEN left({text}, 1) IN ({leads}) THEN chr(39) || {text} ELSE {text} END AS {column}")
    return f"SELECT {', '.join(columns)} FROM ({query})"


def _parquet(con, stage: _Staging, view: str, query: str, years: list[int] | None, count: int) -> None:
    """The view's rows, a folder per year, into the staging folder. The years exported replace
    their folders and the others stay, in a folder of ours; anything else at the view's name
    (a symbolic link) is replaced whole, not followed."""
    final = stage.out / view
    whole = final.is_symlink() or not final.is_dir()
    staged = stage.add(view) if whole else stage.folder / view
    if count:
        con.execute(f"COPY ({query}) TO {_quoted(staged)} "
                    "(FORMAT parquet, PARTITION_BY (year), FILENAME_PATTERN 'part_{i}')")
    else:
        staged.mkdir()
    if not whole:
        for year in years or [r[0] for r in con.execute(f"SELECT DISTINCT year FROM {view}").fetchall()]:
            stage.add(f"{view}/year={year}")  # this year's rows are replaced (none: its folder goes), others kept
        stage.written.append(final)


def _xlsx(con, path: Path, years, counts: dict[str, int], say) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    try:
        for view in VIEWS:
            sheet = book.create_sheet(view)
            rows = _TextCells(sheet)
            cursor = con.execute(f"SELECT * FROM {view}{_where(years)} ORDER BY ALL")
            rows.append([d[0] for d in cursor.description])
            while batch := cursor.fetchmany(10_000):
                for row in batch:
                    rows.append(row)
            sheet.close()  # its rows wait in a file of their own: one sheet's stream open at a time
            say(f"  {view}: {counts[view]:,} rows -> sheet {view}")
        sheet = book.create_sheet("columns")
        rows = _TextCells(sheet)
        cursor = con.execute(columns_sql())
        rows.append([d[0] for d in cursor.description])
        for row in cursor.fetchall():
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


class _TextCells:
    """A sheet's rows with every text as a text cell, whatever it starts with: openpyxl takes
    a text that starts with '=' for a formula (and '#N/A' for an error value), so each text
    goes in a cell whose type is set after its value. One cell per column, used again row
    after row (a row is written whole before `append` returns): no cell made per value."""

    def __init__(self, sheet):
        self.sheet = sheet
        self.cells: list = []

    def append(self, row) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.utils.exceptions import IllegalCharacterError

        values = list(row)
        for i, value in enumerate(values):
            if isinstance(value, str):
                while len(self.cells) <= i:
                    self.cells.append(WriteOnlyCell(self.sheet))
                cell = self.cells[i]
                try:
                    cell.value = value
                except IllegalCharacterError:  # a control character no Excel cell can hold: left out
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"
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
