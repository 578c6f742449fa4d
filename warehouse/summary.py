"""What is in the warehouse, for the run summary and for people."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import duckdb


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


def summarise(con: duckdb.DuckDBPyConnection, years: list[int] | None = None) -> Summary:
    where = "" if years is None else f"WHERE year IN ({','.join(str(int(y)) for y in years) or 'NULL'})"
    one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
    return Summary(
        documents=one(f"SELECT count(*) FROM dim_document WHERE status <> 'retracted' {where.replace('WHERE', 'AND')}"),
        reports=con.execute(
            f"""SELECT a.agency_name, r.year, r.format_version, r.cells, r.warnings, r.quality_status, d.source_file
                FROM fact_report r JOIN dim_agency a USING (agency_id) JOIN dim_document d USING (document_id)
                {where.replace('year', 'r.year')} ORDER BY r.year, a.agency_name"""
        ).fetchall(),
        cells=one(f"SELECT count(*) FROM v_disclosure_facts {where}"),
        warnings=one(f"SELECT count(*) FROM fact_extraction_warning w JOIN fact_report r USING (document_id) {where.replace('year', 'r.year')}"),
        violations=con.execute(
            f"""SELECT a.agency_name, v.year, v.identity, v.scope, v.expected, v.printed
                FROM fact_identity_violation v JOIN dim_agency a USING (agency_id)
                {where.replace('year', 'v.year')} ORDER BY v.year, a.agency_name, v.identity, v.scope"""
        ).fetchall(),
        implausible=con.execute(
            f"""SELECT a.agency_name, w.year, w.category_code, w.printed, w.location
                FROM fact_extraction_warning w JOIN dim_agency a USING (agency_id)
                WHERE w.kind = 'implausible_value' {where.replace('WHERE year', 'AND w.year')}
                ORDER BY w.year, a.agency_name, w.location"""
        ).fetchall(),
        rejected=con.execute("SELECT source_file, stage, reason FROM rejected_document ORDER BY source_file").fetchall(),
        superseded=con.execute(
            f"""SELECT coalesce(a.agency_name, d.agency_id), d.year, d.source_file FROM dim_document d
                LEFT JOIN dim_agency a USING (agency_id) WHERE d.status = 'superseded' {where.replace('WHERE', 'AND')}
                ORDER BY d.year, 1, d.source_file"""
        ).fetchall(),
        duplicates=con.execute(
            f"""SELECT source_file, duplicate_files FROM dim_document WHERE duplicate_files IS NOT NULL
                {where.replace('WHERE', 'AND')} ORDER BY source_file"""
        ).fetchall(),
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 warning', '2 warnings', '0 warnings'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def _pad(text: str, width: int) -> str:
    """Left-justify by display width: a Han character takes two columns in a terminal."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


def render(summary: Summary, files_read: int | None = None, limit: int = 40) -> str:
    """The summary; each list shows at most `limit` lines (a national backfill has 100,000 reports:
    the rest is in the warehouse, which the last line of a cut list names)."""
    lines = []
    if files_read is not None:
        lines.append(f"files read:        {files_read}")
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
    lines.append(f"files not loaded:  {len(summary.rejected)}")
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
