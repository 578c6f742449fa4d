"""The annual overview: one self-contained HTML page per statistics year, read from the BI views.

Totals by region and level, each metric by province and year (a heat table: a blank where no
report has a usable value, never 0), the agencies with the most applications, the mix of
results, the change against the year before, and the reports whose totals do not add up, each
linked to its findings. Charts are inline SVG (warehouse/charts.py); the page loads nothing.
"""
from __future__ import annotations

import html
from pathlib import Path

import duckdb

from warehouse import charts
from warehouse.statements import run

TOP = 15  # agencies shown in the charts
LISTED = 100  # agencies listed in the long tables of a page (the views hold them all)
RESULT_COLUMNS = {"予以公开": "granted", "部分公开": "partially_granted", "不予公开": "denied", "无法提供": "unavailable",
                  "不予处理": "not_processed", "其他处理": "other_handling"}
QUALITY = {"passed": "通过", "violations": "合计不符", "incomplete_extraction": "提取不完整",
           "printed_blanks": "印有空白", "violations_and_incomplete": "合计不符且提取不完整"}

_CSS = """
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #1565c0; padding-bottom: .2em; margin-top: 2em; }
.kpis { display: flex; gap: 1em; flex-wrap: wrap; } .kpi { background: #f3f6fa; padding: .6em 1em; border-radius: 6px; }
.kpi b { display: block; font-size: 1.5em; color: #1565c0; }
table { border-collapse: collapse; margin: .8em 0; font-size: .92em; } th, td { border: 1px solid #ccd; padding: .25em .6em; }
th { background: #eef2f7; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #c62828; font-weight: bold; } .note { color: #666; font-size: .9em; } svg { max-width: 100%; height: auto; }
.heat td.n { min-width: 5.5em; } .heat td.blank { background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f4f4f4 4px, #f4f4f4 8px); }
.heat small { color: #666; display: block; font-size: .75em; } .heatgrid { display: flex; flex-wrap: wrap; gap: 0 2em; }
.heatgrid h3 { font-size: 1em; margin: .8em 0 0; }
nav a { margin-right: 1em; }
"""


def _rows(con: duckdb.DuckDBPyConnection, name: str, year: int) -> list[dict]:
    cur = run(con, f"overview/{name}", [year])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _e(value) -> str:
    return "" if value is None else html.escape(str(value))


def _n(value) -> str:
    if value is None:
        return '<td class="n">–</td>'
    return f'<td class="n">{float(value):,.0f}</td>' if float(value).is_integer() else f'<td class="n">{float(value):,.1f}</td>'


def _pct(value) -> str:
    return '<td class="n">–</td>' if value is None else f'<td class="n">{float(value):+.1f}%</td>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    return f"<table><tr>{head}</tr>" + "".join("<tr>" + "".join(r) + "</tr>" for r in rows) + "</table>"


def _anchor(agency_id: str) -> str:
    return f"findings-{agency_id}"


def render(con: duckdb.DuckDBPyConnection, year: int, years: list[int]) -> str:
    reports = _rows(con, "reports", year)
    regions = _rows(con, "by_region", year)
    changes = _rows(con, "year_over_year", year)
    findings = _rows(con, "findings", year)
    heat = _rows(con, "heat", year)
    parts = [f"<h1>{year} 年政府信息公开工作年度报告 · 年度概览</h1>",
             # later loads add years: the index, rewritten on every load, lists them all
             '<nav><a href="index.html">所有年份</a>'
             + (f'<a href="{year - 1}.html">{year - 1} 年</a>' if year - 1 in years else "") + "</nav>",
             _summary(reports, findings), _regions(regions), _heat(heat, [y for y in years if y <= year] or [year]),
             _top(reports), _mix(reports), _changes(changes, year),
             _problems(reports, findings)]
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>xxgk {year} 年度概览</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _summary(reports: list[dict], findings: list[dict]) -> str:
    received = sum(r["received"] or 0 for r in reports)
    bad = len(_flagged(reports))
    kpis = [("报告", len(reports)), ("本年新收申请", f"{received:,}"), ("合计不符的发现", len(findings)),
            ("需核查的报告", bad)]
    return '<div class="kpis">' + "".join(f'<div class="kpi"><b>{v}</b>{k}</div>' for k, v in kpis) + "</div>"


def _regions(regions: list[dict]) -> str:
    level = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇级", "": "未识别"}
    rows = [[f"<td>{_e(r['province'])}</td>", f"<td>{_e(r['city'])}</td>", f"<td>{level.get(r['level'], r['level'])}</td>",
             _n(r["reports"]), _n(r["received"]), _n(r["results_total"]), _n(r["review_total"]), _n(r["litigation_total"])]
            for r in regions]
    shown = regions[:TOP]
    chart = charts.horizontal_bars([f"{r['province']} {r['city']}".strip() for r in shown],
                                   [float(r["received"] or 0) for r in shown], "本年新收申请（件）")
    return ("<h2 id=\"regions\">按地区和层级</h2>" + chart
            + _table(["省", "市", "层级", "报告", "新收申请", "办理结果", "行政复议", "行政诉讼"], rows))


def _metric_value(value, unit: str) -> str:
    if unit == "件":
        return f"{float(value):,.0f}"
    if unit == "比率":  # a fraction from 0 to 1
        return f"{100 * float(value):.1f}%"
    return f"{float(value):.3g}" if abs(float(value)) < 100 else f"{float(value):,.0f}"


def _heat(rows: list[dict], years: list[int]) -> str:
    """Each metric, province by year: shaded by its value within the metric's table; a blank cell
    (hatched, empty) where no report of the province-year gives a usable value."""
    out = ["<h2 id=\"heat\">各省指标</h2>",
           "<p class=\"note\">每格为该省该年度数值可用的报告（v_metrics.usable）：件数为合计，比率为分子之和除以分母之和。"
           "格下为可用报告数 / 报告数。空格表示没有可用数值（未填、无法读取、分母为0或报告勾稽关系不成立），不是0。"
           "指标的含义和不能说明什么见 dim_metric。</p>"]
    by_metric: dict[str, list[dict]] = {}
    grid: list[str] = []
    for r in rows:
        by_metric.setdefault(r["metric"], []).append(r)
    for items in by_metric.values():
        values = [float(r["value"]) for r in items if r["value"] is not None]
        low, high = (min(values), max(values)) if values else (0.0, 0.0)
        cells = {(r["province"], r["year"]): r for r in items}
        provinces = list(dict.fromkeys(r["province"] for r in items))
        table = []
        for province in provinces:
            row = [f"<td>{_e(province)}</td>"]
            for year in years:
                r = cells.get((province, year))
                if r is None or r["value"] is None:
                    why = "没有报告" if r is None else f"没有可用数值（{r['reports']} 份报告）"
                    row.append(f'<td class="n blank" title="{why}"></td>')
                    continue
                shade = 0.5 if high == low else (float(r["value"]) - low) / (high - low)
                row.append(f'<td class="n" style="background: rgba(21, 101, 192, {0.08 + 0.5 * shade:.2f})">'
                           f'{_metric_value(r["value"], r["unit"])}<small>{r["usable"]} / {r["reports"]}</small></td>')
            table.append(row)
        first = items[0]
        grid.append(f"<div><h3>{_e(first['metric_label'])}（{_e(first['unit'])}）</h3>"
                    + _table(["省", *map(str, years)], table).replace("<table>", '<table class="heat">', 1) + "</div>")
    return "\n".join(out) + '<div class="heatgrid">' + "\n".join(grid) + "</div>"


def _top(reports: list[dict]) -> str:
    shown = [r for r in reports if r["received"]][:TOP]
    if not shown:
        return "<h2 id=\"top\">申请最多的机关</h2><p class=\"note\">本年没有收到申请的记录。</p>"
    chart = charts.horizontal_bars([r["agency"] for r in shown], [float(r["received"]) for r in shown], "本年新收申请（件）")
    return "<h2 id=\"top\">申请最多的机关</h2>" + chart


def _mix(reports: list[dict]) -> str:
    shown = [r for r in reports if r["results_total"]][:TOP]
    if not shown:
        return "<h2 id=\"mix\">办理结果构成</h2><p class=\"note\">本年没有办理结果。</p>"
    series = {name: [float(r[col] or 0) for r in shown] for name, col in RESULT_COLUMNS.items()}
    totals = {name: sum(v) for name, v in series.items()}
    rows = [[f"<td>{name}</td>", _n(total)] for name, total in totals.items()]
    return ("<h2 id=\"mix\">办理结果构成</h2>" + charts.result_mix([r["agency"] for r in shown], series)
            + _table(["结果", "合计（件）"], rows))


def _changes(changes: list[dict], year: int) -> str:
    title = f"<h2 id=\"change\">与 {year - 1} 年相比</h2>"
    received = [c for c in changes if c["category_code"] == "application.new_received"]
    if not received:
        return title + f"<p class=\"note\">没有同一机关 {year - 1} 年的报告可比。</p>"
    # the largest changes in applications received; every agency's are in v_year_over_year
    received.sort(key=lambda c: (-abs(float(c["change"] or 0)), c["agency"]))
    shown = received[:TOP]
    chart = charts.change_bars([c["agency"] for c in shown], [float(c["previous_value"] or 0) for c in shown],
                               [float(c["value"] or 0) for c in shown], (year - 1, year))
    listed = {c["agency"] for c in received[:LISTED]}
    rows = [[f"<td>{_e(c['agency'])}</td>", f"<td>{_e(c['category_label'])}</td>", _n(c["previous_value"]), _n(c["value"]),
             _n(c["change"]), _pct(c["change_pct"])]
            for c in changes if c["agency"] in listed]
    more = (f"<p class=\"note\">变化最大的 {LISTED} 个机关；其余 {len(received) - LISTED} 个见 v_year_over_year。</p>"
            if len(received) > LISTED else "")
    return title + chart + _table(["机关", "项目", str(year - 1), str(year), "变化", "变化率"], rows) + more


def _flagged(reports: list[dict]) -> list[dict]:
    return [r for r in reports if r["quality_status"] != "passed" or r["identity_violations"]]


def _problems(reports: list[dict], findings: list[dict]) -> str:
    """Reports whose totals do not add up (or could not all be read), each linked to its findings."""
    flagged = sorted(_flagged(reports), key=lambda r: -r["identity_violations"])
    more = len(flagged) - LISTED
    flagged = flagged[:LISTED]  # a national year has thousands: the rest are in v_report_overview / v_identity_findings
    rows = [[f"<td>{_e(r['agency'])}</td>", f"<td>{QUALITY.get(r['quality_status'], _e(r['quality_status']))}</td>",
             f"<td class=\"n\">{r['identity_violations']}</td>",
             (f"<td><a href=\"#{_anchor(r['agency_id'])}\">查看发现</a></td>" if r["identity_violations"] else "<td>–</td>"),
             f"<td>{_e(Path(r['source_file']).name)}</td>"] for r in flagged]
    out = ["<h2 id=\"problems\">合计不符或需核查的报告</h2>",
           _table(["机关", "质量状态", "发现", "", "文件"], rows) if rows else "<p>本年所有报告的合计都相符。</p>"]
    if more > 0:
        out.append(f"<p class=\"note\">发现最多的 {LISTED} 份；其余 {more} 份见 v_report_overview 和 v_identity_findings。</p>")
    linked = {r["agency_id"] for r in flagged}
    by_agency: dict[str, list[dict]] = {}
    for f in (f for f in findings if f["agency_id"] in linked):
        by_agency.setdefault(f["agency_id"], []).append(f)
    for agency_id, items in by_agency.items():
        out.append(f"<h3 id=\"{_anchor(agency_id)}\">{_e(items[0]['agency'])} 的发现</h3>")
        out.append(_table(["规则", "范围", "应为", "印为", "差", "位置", "文件"], [
            [f"<td>{_e(f['identity_label'])}（{_e(f['identity'])}）</td>", f"<td>{_e(f['scope_label'])}</td>",
             _n(f["expected"]), _n(f["printed"]), f"<td class=\"n bad\">{float(f['difference'] or 0):+,.0f}</td>",
             f"<td>{_e(f['location'])}</td>", f"<td>{_e(Path(f['source_file']).name)}</td>"] for f in items]))
    return "\n".join(out)


def write(con: duckdb.DuckDBPyConnection, folder: Path, year: int) -> Path:
    """Write `<year>.html` and refresh `index.html` (a link to every year the warehouse holds)."""
    folder.mkdir(parents=True, exist_ok=True)
    years = [r[0] for r in run(con, "overview/years").fetchall()]
    page = folder / f"{year}.html"
    _replace(page, render(con, year, years))
    links = "".join(f'<li><a href="{y}.html">{y} 年度概览</a></li>' for y in years)
    _replace(folder / "index.html", f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>xxgk 年度概览</title>"
             f"<style>{_CSS}</style></head><body><h1>年度概览</h1><ul>{links}</ul></body></html>\n")
    return page


def write_from(database: str, folder: str, year: int) -> Path:
    """write() from the warehouse file `database`, opened read-only here (the helper process
    writes the pages after the load: xxgk.parallel.later)."""
    con = duckdb.connect(database, read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        return write(con, Path(folder), year)
    finally:
        con.close()


def _replace(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
