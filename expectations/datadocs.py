"""Data Docs a person can read with no network.

GX's Data Docs pages take Bootstrap, jQuery, bootstrap-table and Font Awesome from
public CDNs. Offline, their index page is empty (its lists are drawn by JavaScript)
and the result pages lose their layout and status icons. No installed package ships
those files, so rather than vendoring a CSS framework:

1. GX's own site is written to the folder as usual (validation and suite pages,
   its local static/ folder), without GX's JS-only index page;
2. each GX page written is rewritten to drop the CDN tags (nothing left that
   waits on the network) and to carry a small inline stylesheet: tables, layout,
   and the pass/fail icons as characters;
3. ``<suite>.html``: our own self-contained page per suite (no scripts, no external
   resources): per-document status, the violations with expected vs printed and the
   cells involved, the incomplete instances with their reason, and a link to GX's
   page of that run;
4. ``index.html``: the landing page, listing the suites written to the folder
   (from the ``<suite>.json`` headline each run leaves), also the page GX's "Home"
   link leads to.

GX copies 4 MB of fonts and images into every site; its pages, once offline, use two of
them (the logo and the favicon, 13 KB). Those two go to one ``static/`` folder beside the
year folders, shared by all, and each year's copy is removed. GX keeps a page per run:
only the last ``keep_runs`` runs' pages are kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlparse

import polars as pl

from xxgk.vocabulary import identities


def write_data_docs(context, suite, results: list, gate, out_dir: Path, keep_runs: int = 5) -> Path:
    """Render `results` (GX validation results of one suite, one per batch of documents) and
    `gate` (their findings together) into out_dir; return index.html."""
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    run_time = dt.datetime.now(dt.UTC)
    gx_links = []
    for n, result in enumerate(results, start=1):
        gx_pages = _gx_site(context, suite, result, run_time + dt.timedelta(microseconds=n), out_dir)
        shared = _share_static(out_dir)
        for page in gx_pages:
            _make_offline(page, shared)
        gx_links.append(gx_pages[0].relative_to(out_dir).as_posix())
    _prune_runs(out_dir / "validations" / suite.name, keep_runs)
    (out_dir / f"{gate.suite}.html").write_text(_summary_page(gate, results, run_time, gx_links), encoding="utf-8")
    headline = {
        "suite": gate.suite,
        "run_time": run_time.isoformat(timespec="seconds"),
        "success": gate.success,
        "documents": gate.per_document.height,
        "checked": gate.checked,
        "violations": gate.violations.height,
        "incomplete": gate.incomplete.height,
    }
    (out_dir / f"{gate.suite}.json").write_text(json.dumps(headline), encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(_index_page(out_dir), encoding="utf-8")
    return index


# --- GX's own pages -------------------------------------------------------------------------------


def warm() -> None:
    """Import what rendering imports on first use (GX's site builder and renderers, lxml)."""
    from great_expectations.core.run_identifier import RunIdentifier  # noqa: F401
    from great_expectations.render.renderer.site_builder import SiteBuilder  # noqa: F401
    from lxml import html as lxml_html  # noqa: F401


def _gx_site(context, suite, result, run_time: dt.datetime, out_dir: Path) -> list[Path]:
    """Build GX's pages for this one result; return [validation page, suite page]."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    site = "xxgk_" + hashlib.sha1(str(out_dir).encode()).hexdigest()[:12]
    if site not in context.list_data_docs_sites():
        context.add_data_docs_site(
            site,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    run_id = RunIdentifier(run_name=suite.name, run_time=run_time)
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_time
    suite_key = ExpectationSuiteIdentifier(name=suite.name)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite_key, run_id=run_id, batch_identifier=result.batch_id or suite.name
    )
    store = context.validation_results_store
    # The result lives in the in-memory store only while GX renders it (see gates.py).
    # build_index=False: GX's index would list only what the store holds now, and with it GX
    # would delete the pages of earlier runs it no longer knows about.
    store.set(key, result)
    try:
        context.build_data_docs(site_names=[site], resource_identifiers=[key, suite_key], build_index=False)
        pages = [context.get_docs_sites_urls(resource_identifier=k, site_name=site)[0]["site_url"] for k in (key, suite_key)]
    finally:
        store.remove_key(key)
    return [Path(unquote(urlparse(url).path)) for url in pages]


_GX_WEB_ASSET = re.compile(r"https://great-expectations-web-assets\.[^\"')]*")
_CDN_TAG = re.compile(r"<(?:link|script)\b[^>]*?(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.I)

# Enough of Bootstrap's layout for GX's markup, and the Font Awesome icons GX uses as characters.
_GX_OFFLINE_CSS = """
body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;color:#222;background:#fff}
.container-fluid{padding:0 1.5rem}.row{display:flex;flex-wrap:wrap;gap:0 1rem}
.col-md-2,.col-lg-2{flex:0 0 15%}.col-md-10,.col-lg-10,.col-md-8{flex:1 1 60%}.col-12,.col{flex:1 1 100%}
nav,.navbar{padding:.5rem 1.5rem;border-bottom:1px solid #ddd;background:#f7f7f9}
.navbar img,.navbar-brand img{height:28px}
ol.breadcrumb{display:flex;gap:.5rem;list-style:none;padding:0;margin:.5rem 0}
ol.breadcrumb li+li::before{content:"/ ";color:#888}
.card{border:1px solid #ddd;border-radius:6px;margin:0 0 1rem;padding:.25rem .75rem}
.card-header{font-weight:600;border-bottom:1px solid #eee;padding:.4rem 0}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f4}.table-sm td,.table-sm th{padding:.2rem .4rem}
code,pre{background:#f6f6f6;padding:.1rem .3rem;border-radius:3px;font-size:.85em;white-space:pre-wrap}
.hide,.d-none,footer,#ge-cta-footer{display:none}
.text-danger,.alert-danger{color:#b00020}.text-success,.alert-success{color:#1b7f3b}
.fas,.fa{font-style:normal;font-weight:700}
.fa-check-circle::before,.fa-check::before{content:"\\2714";color:#1b7f3b}
.fa-times::before,.fa-times-circle::before,.fa-exclamation-triangle::before{content:"\\2718";color:#b00020}
.fa-question-circle::before{content:"?"}
"""


_OFFLINE_MARK = "<!-- xxgk: made readable offline -->"
_SHARED_FILES = ("images/logo-long.png", "images/favicon.ico")  # all GX's pages use of its static/ once offline
_STATIC_REF = re.compile(r"(?:\.\./)*static/(images/[\w.-]+)")


def _share_static(out_dir: Path) -> Path:
    """Move the files GX's pages use from out_dir/static to the shared static/ beside out_dir;
    drop the rest of GX's copy. Returns the shared folder."""
    shared = out_dir.parent / "static"
    own = out_dir / "static"
    for name in _SHARED_FILES:
        if (own / name).exists() and not (shared / name).exists():
            (shared / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(own / name, shared / name)
    shutil.rmtree(own, ignore_errors=True)
    return shared


def _prune_runs(suite_dir: Path, keep: int) -> None:
    """Keep the pages of the last `keep` runs (GX names run folders by UTC time: they sort)."""
    runs = sorted((p for p in suite_dir.glob("*/*") if p.is_dir()), key=lambda p: p.name)
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
    for empty in suite_dir.glob("*"):
        if empty.is_dir() and not any(empty.iterdir()):
            empty.rmdir()


def _make_offline(page: Path, shared: Path) -> None:
    text = page.read_text(encoding="utf-8")
    if _OFFLINE_MARK in text:  # a page GX did not rewrite this time
        return
    text = _CDN_TAG.sub("", text)
    # The GX logo is fetched from S3 with a timestamp on every view; the shared static/ has it.
    logo = Path(os.path.relpath(shared / "images" / "logo-long.png", page.parent)).as_posix()
    text = _GX_WEB_ASSET.sub(logo, text)
    text = _STATIC_REF.sub(lambda m: Path(os.path.relpath(shared / m.group(1), page.parent)).as_posix(), text)
    text = _clean_gx_markup(text)
    text = text.replace("</head>", f"{_OFFLINE_MARK}<style>{_GX_OFFLINE_CSS}</style>\n</head>", 1)
    page.write_text(text, encoding="utf-8")


def _clean_gx_markup(text: str) -> str:
    """What GX's pages show that means nothing here: for a pair of columns its table of
    unexpected values has an "Unexpected Value" column of "EMPTY" (the pair's values are in
    the expected and printed columns beside it); its hint to retrieve the rows is pandas code
    (`df.filter(items=[7], axis=0)`) for a dataframe the reader does not have; its footer
    is a newsletter link with tracking parameters."""
    from lxml import html as lxml_html

    doc = lxml_html.document_fromstring(text)
    for table in doc.xpath("//table[thead/tr/th]"):
        heads = [th.text_content().strip() for th in table.xpath("./thead/tr/th")]
        rows = table.xpath("./tbody/tr")
        if heads[:2] == ["Unexpected Value", "Count"] and all(
                (r.xpath("./td[1]") or [None])[0] is not None and r.xpath("./td[1]")[0].text_content().strip() == "EMPTY"
                for r in rows):
            for tr in table.xpath("./thead/tr|./tbody/tr"):
                for cell in tr.xpath("./th|./td")[:2]:
                    tr.remove(cell)
    for code in doc.xpath("//code[contains(., 'df.filter(')]"):
        body = code.xpath("ancestor::div[contains(@id, 'collapse-body')][1]")
        block = body[0].getparent() if body else code
        block.getparent().remove(block)
    for link in doc.xpath("//a[contains(@href, 'utm_')]"):
        holder = link.xpath("ancestor::footer[1]") or link.xpath("ancestor::p[1]") or [link]
        holder[0].getparent().remove(holder[0])
    return "<!DOCTYPE html>\n" + lxml_html.tostring(doc, encoding="unicode")


# --- our pages ------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:1.5rem 2rem;color:#222;max-width:1400px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
td{overflow-wrap:anywhere}td.report,td.num,td.word{white-space:nowrap}
td.cells{font-family:ui-monospace,monospace;font-size:.8rem;color:#444}table.fixed{table-layout:fixed}table.fixed td{white-space:normal}
.status{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-size:.8rem;font-weight:600;white-space:nowrap}
.passed,.ok{background:#ddf4e4;color:#1b5e20}.violations,.violations_and_incomplete,.bad{background:#fde2e2;color:#8e0000}
.incomplete_extraction,.warn{background:#fff3cd;color:#7a5a00}.printed_blanks{background:#e6ecfb;color:#1f3f8f}
.zh{color:#555}
.headline{display:flex;gap:1rem;flex-wrap:wrap}.headline div{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.headline b{display:block;font-size:1.4rem}.muted{color:#666;font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _number(v) -> str:
    if v is None:
        return "—"
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


# Shorter headers where the column names are long; the rest say themselves with spaces.
_HEADERS = {
    "identities_checked": "checked",
    "incomplete_extraction": "incomplete: extraction",
    "incomplete_printed_blank": "incomplete: printed blank",
    "quality_status": "status",
}

_WIDTHS = {"report": "16%", "identity": "14%", "scope": "15%", "expected": "6.5%", "printed": "6%", "kind": "10%"}


@cache
def _scope_labels() -> dict[str, str]:
    """The report's own Chinese label of each scope: 'column natural_person' -> 自然人,
    'row result.total' -> （七）总计, 'group review' -> 行政复议."""
    from xxgk.vocabulary import applicant_types, categories

    labels = {f"column {t['applicant_type']}": t["label"] for t in applicant_types()}
    for code, category in categories().items():
        label = category.label_2021 or category.label_2019
        if label:
            labels[f"row {code}"] = label
            if category.section == 4 and code.endswith(".total"):
                labels[f"group {code.removesuffix('.total')}"] = label.removesuffix(" 总计")
    return labels


def _table(frame: pl.DataFrame, numeric=(), badge=(), mono=()) -> str:
    if frame.is_empty():
        return '<p class="muted">none</p>'
    if {"document_id", "agency", "year"} <= set(frame.columns):
        # One narrow "report" column (agency, year, document id) leaves room for the cells text.
        frame = frame.select(pl.struct("agency", "year", "document_id").alias("report"), pl.exclude("agency", "year", "document_id"))
    head = "".join(f"<th>{html.escape(_HEADERS.get(c, c.replace('_', ' ')))}</th>" for c in frame.columns)
    rows = []
    for row in frame.iter_rows(named=True):
        tds = []
        for c, v in row.items():
            if c == "report":
                tds.append(
                    f'<td class="report">{html.escape(str(v["agency"]))} {v["year"]}<br>'
                    f'<span class="muted">{html.escape(str(v["document_id"]))}</span></td>'
                )
            elif c in numeric:
                tds.append(f'<td class="num">{_number(v)}</td>')
            elif c in badge:
                tds.append(f'<td><span class="status {html.escape(str(v))}">{html.escape(str(v))}</span></td>')
            elif c == "scope" and v in _scope_labels():
                tds.append(f'<td>{html.escape(v)}<br><span class="zh">{html.escape(_scope_labels()[v])}</span></td>')
            else:
                cls = ' class="cells"' if c in mono else ' class="word"' if c in ("identity", "kind") else ""
                tds.append(f"<td{cls}>{html.escape('' if v is None else str(v))}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    if set(mono) & set(frame.columns):
        # Findings tables: fixed widths, the cells/reason text takes what is left.
        cols = "<colgroup>" + "".join(f'<col style="width:{_WIDTHS.get(c, "auto")}">' for c in frame.columns) + "</colgroup>"
        return f'<table class="fixed">{cols}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _summary_page(gate, results: list, run_time: dt.datetime, gx_links: list[str]) -> str:
    blank = gate.incomplete.filter(pl.col("kind") == "printed_blank").height
    cards = [
        ("documents", gate.per_document.height, ""),
        ("instances checked", gate.checked, ""),
        ("violations", gate.violations.height, "bad" if gate.violations.height else "ok"),
        ("incomplete: extraction", gate.incomplete.height - blank, "warn" if gate.incomplete.height - blank else ""),
        ("incomplete: printed blank", blank, "warn" if blank else ""),
    ]
    headline = "".join(f'<div class="{cls}"><b>{n}</b>{html.escape(label)}</div>' for label, n, cls in cards)
    expectations = pl.DataFrame(
        [
            {
                "identity": r.expectation_config.meta["identity"],
                "what it says": identities()[r.expectation_config.meta["identity"]].text,
                "GX expectation": r.expectation_config.type,
                "evaluated": r.result.get("element_count", 0),
                "unexpected": r.result.get("unexpected_count", 0),
                "passed": bool(r.success),
            }
            for result in results for r in result.results
        ]
    ).group_by("identity", "what it says", "GX expectation", maintain_order=True).agg(
        pl.col("evaluated").sum(), pl.col("unexpected").sum(), pl.col("passed").all()
    ).with_columns(result=pl.when(pl.col("passed")).then(pl.lit("passed")).otherwise(pl.lit("violations"))).drop("passed")
    if len(gx_links) == 1:
        gx_page = f'<a href="{html.escape(gx_links[0])}">GX validation page</a>'
    else:
        gx_page = "GX validation pages, one per batch of documents: " + " ".join(
            f'<a href="{html.escape(link)}">{n}</a>' for n, link in enumerate(gx_links, start=1))
    body = f"""
<h1>Accounting identities: {html.escape(gate.suite)}</h1>
<p class="muted">Run {run_time:%Y-%m-%d %H:%M:%S} UTC. Great Expectations suite
<span class="status {'passed' if gate.success else 'violations'}">{'passed' if gate.success else 'failed'}</span>.
Identities as in <code>xxgk/spec/identities.md</code>; an incomplete instance could not be checked and is not a violation.
<a href="index.html">All suites</a> · {gx_page}</p>
<div class="headline">{headline}</div>
<h2>Documents</h2>
{_table(gate.per_document, numeric={"identities_checked", "violations", "incomplete", "incomplete_extraction", "incomplete_printed_blank"}, badge={"quality_status"})}
<h2>Violations ({gate.violations.height})</h2>
<p class="muted">expected = the summed side, printed = the printed total (XY_CARRY: last year's carried_forward vs this year's carried_over; NON_NEGATIVE: the cell).</p>
{_table(gate.violations, numeric={"expected", "printed"}, mono={"cells"})}
<h2>Incomplete ({gate.incomplete.height})</h2>
<p class="muted">kind extraction: a cell not placed or a row missing in our extraction; printed_blank: the report printed a blank, '/' or '—'.</p>
{_table(gate.incomplete.drop("cells"), numeric={"expected", "printed"}, mono={"reason"})}
<h2>Great Expectations results</h2>
{_table(expectations, numeric={"evaluated", "unexpected"}, badge={"result"})}
"""
    return _page(f"{gate.suite}: accounting identities", body)


def _index_page(out_dir: Path) -> str:
    rows = []
    for path in sorted(out_dir.glob("*.json")):
        try:
            h = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(h, dict) or "suite" not in h:
            continue
        rows.append(
            {
                "suite": h["suite"],
                "run (UTC)": h["run_time"],
                "result": "passed" if h["success"] else "violations",
                "documents": h["documents"],
                "checked": h["checked"],
                "violations": h["violations"],
                "incomplete": h["incomplete"],
            }
        )
    links = " · ".join(f'<a href="{html.escape(r["suite"])}.html">{html.escape(r["suite"])}</a>' for r in rows)
    table = _table(pl.DataFrame(rows), numeric={"documents", "checked", "violations", "incomplete"}, badge={"result"})
    body = f"""
<h1>Report quality: accounting identities</h1>
<p>Latest run of each suite written here: {links or 'none yet'}.</p>
{table}
<p class="muted">Each suite page lists violations and incomplete instances; GX's own pages are under
<code>validations/</code> and <code>expectations/</code>.</p>
"""
    return _page("Report quality", body)
