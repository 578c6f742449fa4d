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

REPORT_IDENTITIES = ("T3_BALANCE", "T3_RESULTS_SUM", "T3_OTHER_SUM", "T3_APPLICANT_SUM", "T4_GROUP_SUM", "NON_NEGATIVE")
CHECKS = (*REPORT_IDENTITIES, "XY_CARRY", "extraction_complete")

# The equation in words, then in the report's own labels (国办公开办函〔2021〕30号 tables 三 and 四).
DESCRIPTIONS = {
    "T3_BALANCE": "Table 三, each applicant column: new applications + carried over from last year = results total "
                  "+ carried forward. 一、本年新收 + 二、上年结转 = 三（七）总计 + 四、结转下年度继续办理 "
                  "(the table's header: 第一项加第二项之和，等于第三项加第四项之和).",
    "T3_RESULTS_SUM": "Table 三, each applicant column: the results total is the sum of its items. "
                      "（七）总计 = （一）予以公开 + （二）部分公开 + （三）不予公开 1–8 + （四）无法提供 1–3 "
                      "+ （五）不予处理 1–5 + （六）其他处理.",
    "T3_OTHER_SUM": "Table 三, each applicant column, when the three items are printed: other handling is their sum. "
                    "（六）其他处理 = 1.逾期不补正 + 2.逾期未缴费 + 3.其他.",
    "T3_APPLICANT_SUM": "Table 三, each row: the total column is the sum of the applicant columns. "
                        "总计 = 自然人 + 商业企业 + 科研机构 + 社会公益组织 + 法律服务机构 + 其他.",
    "T4_GROUP_SUM": "Table 四, each group (review, litigation without review, litigation after review): total = "
                    "upheld + corrected + other + pending. 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结 "
                    "(行政复议；行政诉讼 未经复议直接起诉、复议后起诉).",
    "NON_NEGATIVE": "Every count is 0 or more (table 二's 2019-format change column may be negative). 各项数量不为负数.",
    "XY_CARRY": "One agency, consecutive years, each applicant column: carried over this year = carried forward "
                "last year. 本年 二、上年结转 = 上年 四、结转下年度继续办理.",
    "extraction_complete": "Every cell an identity needs was extracted: a report listed here has a needed cell we "
                           "could not place or a row we did not find (look at our parser first, or at a row the "
                           "report left out). 提取完整.",
}


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
