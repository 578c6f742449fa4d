"""What is in the warehouse, for the run summary and for people."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import duckdb

from warehouse.statements import registered, rows
from warehouse.statements import run as run_sql


@dataclass
class Summary:
    documents: int
    reports: list[tuple]  # agency, year, format_version, cells, warnings, quality_status, source_file
    cells: int
    warnings: int
    violations: list[tuple]  # agency, year, identity, scope, expected, printed
    rejected: list[tuple]  # source_file, stage, reason
    superseded: list[tuple] = ()  # agency, year, source_file (another version of the agency-year was loaded)
    duplicates: list[tuple] = ()  # source_file, duplicate_files (the same bytes under other names: one document)
    # agency, year, category_code, printed, location: numbers no report can mean
    implausible: list[tuple] = ()


@dataclass
class RunScope:
    """What one run read: the summary of a run shows its own rows of the warehouse, not what other
    runs (other inboxes, earlier loads) left there."""

    document_ids: list[str]  # the documents it read (every year)
    rejected: list[tuple[str, str]]  # (document_id, source_file) of the files it rejected while reading


def summarise(con: duckdb.DuckDBPyConnection, years: list[int] | None = None, run: RunScope | None = None) -> Summary:
    """The warehouse's rows of `years` (all when None); with `run`, only those of that run: its
    documents, the reports of the agency-years they belong to (whichever version is chosen), their
    cells, warnings and findings, and the files it did not load (sql/summary/)."""
    # set in the text, not bound: DuckDB imports pandas (~0.4 s) to bind any Python value, and the
    # summary of an unchanged inbox (0.2 s in all) binds none; years are ints, nothing else gets in
    listed = "NULL" if years is None else "[" + ", ".join(str(int(y)) for y in years) + "]"
    con.execute(f"SET VARIABLE summary_years = {listed}::INTEGER[]; SET VARIABLE summary_run = {run is not None}")
    run_sql(con, "summary/scope")
    if run is not None:
        import pyarrow as pa

        with registered(con, run_documents=pa.table({"document_id": pa.array(list(run.document_ids), pa.string())}),
                        run_rejected=pa.table({"document_id": pa.array([d for d, _ in run.rejected], pa.string()),
                                               "source_file": pa.array([f for _, f in run.rejected], pa.string())})):
            run_sql(con, "summary/run")
    documents, reports, cells, warnings, violations, implausible, rejected, superseded, duplicates = rows(con, "summary/rows")
    return Summary(documents=documents[0][0], reports=reports, cells=cells[0][0], warnings=warnings[0][0],
                   violations=violations, implausible=implausible, rejected=rejected, superseded=superseded,
                   duplicates=duplicates)


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 warning', '2 warnings', '0 warnings'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _pad(text: str, width: int) -> str:
    """Left-justify by display width: a Han character takes two columns in a terminal."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


# the stages of rejected_document, as the summary says when a file was not loaded
STAGE_WORDS = {"ingestion": "while reading", "normalisation": "while reading", "extraction": "while extracting",
               "retracted": "retracted earlier"}


def render(summary: Summary, files_read: int | None = None, limit: int = 40, duplicate_files: int = 0,
           other_years: int = 0) -> str:
    """The summary; each list shows at most `limit` lines (a national backfill has 100,000 reports:
    the rest is in the warehouse, which the last line of a cut list names). `files_read` is what
    the run read, counted out as the documents loaded, the duplicate files, the documents of years
    not loaded (`other_years`, --years) and the files not loaded."""
    lines = []
    if files_read is not None:
        parts = [plural(summary.documents, "document") + " loaded"]
        if duplicate_files:
            parts.append(plural(duplicate_files, "duplicate file"))
        if other_years:
            parts.append(plural(other_years, "document") + " of years not loaded")
        parts.append(f"{len(summary.rejected)} not loaded")
        lines.append(f"files read:        {files_read}: {', '.join(parts)}")
    lines += [
        f"documents loaded:  {summary.documents}",
        f"reports loaded:    {len(summary.reports)}",
    ]
    if len(summary.reports) > limit:
        counts: dict[str, int] = {}
        for report in summary.reports:
            counts[report[5] or ""] = counts.get(report[5] or "", 0) + 1
        lines.append("  by quality status: " + ", ".join(f"{s} {n}" for s, n in sorted(counts.items())))
    # reports that need a look first
    reports = sorted(summary.reports, key=lambda r: (r[5] == "passed", r[1], r[0])) if len(summary.reports) > limit else summary.reports
    lines += _cut([f"  {year}  {_pad(agency, 28)} {cells:>4} cells {_pad(plural(warnings, 'warning'), 12)} {_pad(status or '', 22)} {source.rsplit('/', 1)[-1]}"
                   for agency, year, fmt, cells, warnings, status, source in reports], limit, "fact_report")
    if summary.superseded:
        lines.append(f"superseded versions: {len(summary.superseded)} (another document of the same agency-year was loaded)")
        lines += _cut([f"  {year}  {_pad(agency, 28)} {source}" for agency, year, source in summary.superseded],
                      limit, "dim_document (status 'superseded')")
    if summary.duplicates:
        lines.append(f"duplicate files:   {len(summary.duplicates)} (the same bytes under another name: read once)")
        lines += _cut([f"  {others} = {source}" for source, others in summary.duplicates], limit, "dim_document (duplicate_files)")
    lines.append(f"cells loaded:      {summary.cells}")
    lines.append(f"warnings:          {summary.warnings}")
    lines.append(f"identity violations: {len(summary.violations)}")
    lines += _cut([f"  {year}  {agency}  {identity} [{scope}]: {_sides(identity, expected, printed)}"
                   for agency, year, identity, scope, expected, printed in summary.violations], limit, "fact_identity_violation")
    if summary.implausible:
        lines.append(f"implausible values: {len(summary.implausible)} (loaded as printed, cell_status 'implausible')")
    lines += _cut([f"  {year}  {agency}  {code}: printed {printed} ({location})"
                   for agency, year, code, printed, location in summary.implausible], limit, "fact_extraction_warning")
    stages: dict[str, int] = {}
    for _, stage, _ in summary.rejected:
        stages[STAGE_WORDS.get(stage, stage)] = stages.get(STAGE_WORDS.get(stage, stage), 0) + 1
    lines.append(f"files not loaded:  {len(summary.rejected)}"
                 + (f" ({', '.join(f'{n} {words}' for words, n in stages.items())})" if stages else ""))
    lines += _cut([f"  {source}: {reason} ({stage})" for source, stage, reason in summary.rejected], limit, "rejected_document")
    return "\n".join(lines)


def _number(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _sides(identity: str, expected: float | None, printed: float | None) -> str:
    """What a violation compares; NON_NEGATIVE has one side (the cell), its bound is 0."""
    if identity == "NON_NEGATIVE":
        return f"printed {_number(printed)}, below 0"
    return f"expected {_number(expected)}, printed {_number(printed)}"


def _cut(lines: list[str], limit: int, table: str) -> list[str]:
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"  … and {len(lines) - limit} more (table {table})"]
