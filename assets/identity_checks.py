"""The accounting identities as Dagster asset checks of `warehouse_facts`, evaluated after each
load over every year the warehouse holds.

Why not one check result per year: Dagster's asset overview shows the checks of the latest
materialization only, so a year that failed looked passed as soon as another year loaded.
Each result here covers all years, with a row per year in its metadata, so a failure of
any year stays visible. A check that has nothing to check (no report; XY_CARRY: no agency with
two consecutive years) gives no result, so the UI shows it skipped -- never passed, nor failed.
"""
from __future__ import annotations

import duckdb
import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from warehouse.statements import run
from xxgk.vocabulary import CARRY_IDENTITIES, REPORT_IDENTITIES, identities

CHECKS = (*REPORT_IDENTITIES, *CARRY_IDENTITIES, "extraction_complete")
# The equation in words, then in the report's own labels (spec/identities.csv); and what the check
# that is no identity looks for.
DESCRIPTIONS = {**{name: i.description for name, i in identities().items()},
                "extraction_complete": "Every cell an identity needs was extracted: a report listed here has a needed cell "
                                       "we could not place or a row we did not find (look at our parser first, or at a row "
                                       "the report left out). 提取完整."}


def check_specs(asset: str) -> list[AssetCheckSpec]:
    return [AssetCheckSpec(name=name, asset=asset, description=DESCRIPTIONS[name]) for name in CHECKS]


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|`*_[]<>#"} | {"\n": " ", "\r": " "})


def _md_cell(value) -> str:
    """A value as the text of one markdown table cell: a report's own words (an agency named
    `a|b`, `*x*` or `<img>`) are shown as printed, never as markup or an extra column."""
    return str(value).translate(_MD_SPECIAL)


def table_md(frame: pl.DataFrame, limit: int = 100) -> str:
    """A markdown table of at most `limit` rows (the UI shows metadata whole)."""
    if frame.is_empty():
        return "none"
    more = frame.height - limit
    frame = frame.head(limit)
    header = "| " + " | ".join(map(_md_cell, frame.columns)) + " |\n|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join("" if v is None else _md_cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([header, *rows] + ([f"\n… and {more} more"] if more > 0 else []))


NOTHING_CHECKED = {"XY_CARRY": "no agency has reports of two consecutive years",
                   None: "the warehouse holds no report"}


def check_results(con: duckdb.DuckDBPyConnection, skipped: dict[str, str] | None = None) -> list[AssetCheckResult]:
    """Every check over every year in the warehouse, as it is after this load. A check that has
    nothing to check (XY_CARRY with no agency's two consecutive years) gives no result: the UI
    shows it skipped, not failed; `skipped` (when given) gets its name and why."""
    by_year = run(con, "checks/findings_by_year", [list(CHECKS)]).pl()
    results = []
    for name in CHECKS:
        years = by_year.filter(pl.col("identity") == name).drop("identity")
        checked, findings = int(years["checked"].sum() or 0), int(years["findings"].sum() or 0)
        if name == "extraction_complete":
            shown = run(con, "checks/incomplete_reports").pl()
        else:
            shown = run(con, "checks/violations_of", [name]).pl()
        failed_years = years.filter(pl.col("findings") > 0)["year"].to_list()
        metadata = {
            "checked": checked,  # reports (XY_CARRY: agency pairs of consecutive years), all years
            "findings": findings,
            "years with findings": ", ".join(map(str, failed_years)) or "none",
            "by year": MetadataValue.md(table_md(years)),
            "detail": MetadataValue.md(table_md(shown.drop("document_id"))),
            # the same, for machines: what the warehouse holds (the first 100)
            "findings (first 100)": MetadataValue.json(shown.to_dicts()),
        }
        if checked == 0:  # skipped: a check on nothing neither passes nor fails
            if skipped is not None:
                skipped[name] = NOTHING_CHECKED.get(name, NOTHING_CHECKED[None])
            continue
        results.append(AssetCheckResult(check_name=name, passed=findings == 0,
                                        severity=AssetCheckSeverity.WARN, metadata=metadata))
    return results
