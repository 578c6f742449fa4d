"""Throughput of the real pipeline on synthetic text-layer report PDFs, against the targets.

    .venv/bin/python -m benchmarks.throughput [--reports N] [--repeat R] [--workers 1,2] [--profile]

Prints figures; asserts nothing about time (this is a benchmark, not a test). In order:

1. a corpus of N synthetic PDFs (tests/fixtures/synthetic.write_corpus), cached in
   $TMPDIR/xxgk-bench/ under a key of N, seed and the generator's source hash;
2. end to end: `python -m pipelines.cli run` as a subprocess, per worker count
   (XXGK_WORKERS), each run with a fresh DAGSTER_HOME (dagster.yaml copied, instance
   created before the clock starts), a fresh warehouse and Data Docs off; wall time,
   CPU time and peak memory; R repeats, worker counts alternated (ABBA), medians;
3. every generated cell checked against v_disclosure_facts (value and printed text);
4. time per stage, in process, on the same files;
5. the naive baseline: pdfplumber.open + page.extract_tables() on every page, 1 process;
6. a summary against the targets;
7. with --profile: cProfile of ingest + normalise + extract on ~50 reports, 1 process.

Peak memory is measured two ways (psutil is not installed in the venv):
- "tree RSS": the sum of VmRSS over the run's process tree, sampled from /proc every
  --poll seconds (can miss a spike shorter than the interval; counts pages shared
  between the forked workers and their parent once per process, so it over-states);
- "largest process": getrusage(RUSAGE_CHILDREN).ru_maxrss taken in a fresh wrapper
  process per run (exact, but the peak of the largest single process, not the sum).
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import hashlib
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
WRAPPER = Path(__file__).with_name("_rusage_wrapper.py")
SYNTHETIC = PROJECT_ROOT / "tests" / "fixtures" / "synthetic.py"

TARGET_REPORTS_PER_HOUR_PER_CORE = 20_000  # text-layer reports
TARGET_S_PER_REPORT = 0.18
TARGET_BASELINE_RATIO = 2.5
TARGET_SPEEDUP = 1.7
TARGET_MEMORY_BYTES = 1 << 30  # 1 GB ...
TARGET_MEMORY_AT = 10_000  # ... for this many reports
PAGE = os.sysconf("SC_PAGE_SIZE")

if str(PROJECT_ROOT) not in sys.path:  # `python benchmarks/throughput.py` as well as `-m`
    sys.path.insert(0, str(PROJECT_ROOT))


def say(text: str = "") -> None:
    print(text, flush=True)


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --- 1. the corpus -------------------------------------------------------------------------------


def corpus(n: int, seed: int, cache_root: Path) -> Path:
    """cache_root/n{N}-seed{S}-{hash}/ with inbox/*.pdf, expected.csv, reports.csv (made once)."""
    digest = hashlib.sha256(SYNTHETIC.read_bytes()).hexdigest()[:10]
    final = cache_root / f"n{n}-seed{seed}-{digest}"
    if (final / "expected.csv").is_file() and len(list((final / "inbox").glob("*.pdf"))) == n:
        say(f"corpus: {n} PDFs (seed {seed}) reused from {final}")
        return final
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=cache_root))
    t0 = time.perf_counter()
    # in a subprocess: keeps reportlab and the generator out of this process's memory
    subprocess.run([PY, "-m", "tests.fixtures.synthetic", str(work / "inbox"), str(n), str(seed)],
                   cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
    for name in ("expected.csv", "reports.csv"):  # the inbox holds the PDFs only
        (work / "inbox" / name).rename(work / name)
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    say(f"corpus: {n} PDFs (seed {seed}) generated in {time.perf_counter() - t0:.1f} s -> {final}")
    return final


def sub_inbox(pdfs: list[Path], where: Path) -> Path:
    """A folder holding (hard links to) some of the PDFs, for the memory-scaling run."""
    where.mkdir(parents=True, exist_ok=True)
    for p in pdfs:
        try:
            os.link(p, where / p.name)
        except OSError:
            os.symlink(p, where / p.name)
    return where


# --- 2. end to end -------------------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    """`root`'s descendants (not root itself: that is the wrapper)."""
    children = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        children[int(fields[1])].append(int(entry.name))
    out, stack = [], list(children.get(root, []))
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _rss_pss(pids: list[int]) -> tuple[int, int]:
    """Sum of RSS and of PSS (bytes) over `pids`. PSS splits pages shared between the
    forked workers and their parent, so it does not count them twice as RSS does."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith(b"Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return rss, pss


class TreeSampler(threading.Thread):
    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = self.samples = self.max_procs = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            pids = _tree(self.root)
            rss, pss = _rss_pss(pids)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.max_procs = max(self.max_procs, len(pids))
            self.samples += 1


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[float, float]:
    """Seconds of CPU busy (all processes on the machine) and stolen by the hypervisor."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def _phases(lines: list[list]) -> dict[str, float]:
    """Split the CLI's wall time by the lines it prints (timestamps from the wrapper)."""
    t_read = next((t for t, l in lines if l.startswith("[1/2]")), None)
    t_sorted = next((t for t, l in lines if " files, " in l and " reports" in l), None)
    year_lines = [(t, l) for t, l in lines if l.startswith("[2/2]")]
    out: dict[str, float] = {}
    if t_read is not None:
        out["start-up (imports, definitions, instance)"] = t_read
    if t_read is not None and t_sorted is not None:
        out["inbox job (read + normalise + rejects)"] = t_sorted - t_read
    if t_sorted is not None and year_lines:
        out[f"year jobs ({len(year_lines)} years: extract, GX, load)"] = year_lines[-1][0] - t_sorted
    if year_lines and lines:
        out["summary + exit"] = None  # filled in by the caller (needs the wall time)
        out["_last_year_at"] = year_lines[-1][0]
    return out


def run_end_to_end(inbox: Path, workers: int, poll: float, keep: bool) -> dict:
    """One `python -m pipelines.cli run` on `inbox`, fresh instance and warehouse."""
    tmp = Path(tempfile.mkdtemp(prefix=f"xxgk-bench-run-w{workers}-"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp / "xxgk.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(warehouse),
           "XXGK_WORKERS": str(workers), "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_DATA_DOCS": str(tmp / "data_docs"),
           "PYTHONUNBUFFERED": "1"}
    # the instance (sqlite run/event storage) is created before the clock starts
    subprocess.run([PY, "-c", "from dagster import DagsterInstance; DagsterInstance.get()"],
                   env=env, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = {k: tmp / f"{k}" for k in ("result.json", "lines.json", "stderr.log")}
    cmd = [PY, str(WRAPPER), *map(str, files.values()), "--", PY, "-m", "pipelines.cli", "run"]
    busy0, steal0 = cpu_ticks()
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
    sampler = TreeSampler(proc.pid, poll)
    sampler.start()
    proc.wait()
    sampler.done.set()
    sampler.join()
    busy1, steal1 = cpu_ticks()
    if not files["result.json"].is_file():
        raise RuntimeError(f"the wrapper failed (rc {proc.returncode}); see {tmp}")
    result = json.loads(files["result.json"].read_text())
    lines = json.loads(files["lines.json"].read_text())
    if result["rc"] != 0:
        say("\n".join(l for _, l in lines[-30:]))
        say(files["stderr.log"].read_text(errors="replace")[-3000:])
        raise RuntimeError(f"`xxgk run` exited with {result['rc']} (workers={workers}); files kept in {tmp}")
    phases = _phases(lines)
    if "_last_year_at" in phases:
        phases["summary + exit"] = result["wall_s"] - phases.pop("_last_year_at")
    sorted_line = next((l.strip() for _, l in lines if " files, " in l and " reports" in l), "")
    run = {
        "workers": workers,
        "wall_s": result["wall_s"],
        "cpu_s": result["user_s"] + result["sys_s"],
        "tree_rss_peak": sampler.peak_rss,
        "tree_pss_peak": sampler.peak_pss,
        "tree_samples": sampler.samples,
        "max_procs": sampler.max_procs,
        # CPU the rest of the machine used meanwhile (this benchmark's own sampler included), in cores
        "other_cores": max(0.0, (busy1 - busy0) - (result["user_s"] + result["sys_s"])) / result["wall_s"],
        "steal_cores": (steal1 - steal0) / result["wall_s"],
        "largest_process_maxrss": result["maxrss_kb"] * 1024,
        "phases": phases,
        "inbox_line": sorted_line,
        "warehouse": warehouse,
        "tmp": tmp,
        "keep": keep,
    }
    return run


def cleanup(run: dict) -> None:
    if not run["keep"]:
        shutil.rmtree(run["tmp"], ignore_errors=True)


# --- 3. are the cells right? ---------------------------------------------------------------------


def check_cells(warehouse: Path, expected_csv: Path) -> dict:
    import duckdb
    import polars as pl

    key = ["file", "category_code", "applicant_type", "measure"]
    expected = pl.read_csv(expected_csv, infer_schema=False).with_columns(
        pl.col("applicant_type").fill_null(""), pl.col("value").cast(pl.Float64)
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute(
            """SELECT regexp_extract(source_file, '[^/]*$') AS file, category_code,
                      coalesce(applicant_type, '') AS applicant_type, measure, value, printed
               FROM v_disclosure_facts"""
        ).pl()
        status = con.execute(
            "SELECT regexp_extract(source_file, '[^/]*$') AS file, status FROM dim_document").pl()
        rejected = con.execute(
            "SELECT regexp_extract(source_file, '[^/]*$') AS file, stage || ': ' || reason AS reason FROM rejected_document").pl()
    finally:
        con.close()
    dupes = got.group_by(key).len().filter(pl.col("len") > 1).height
    both = expected.join(got.rename({"value": "got_value", "printed": "got_printed"}), on=key, how="left", coalesce=True)
    tol = 1e-9 * pl.max_horizontal(pl.lit(1.0), pl.col("value").abs())
    value_ok = (pl.col("got_value") - pl.col("value")).abs() <= tol
    ok = value_ok.fill_null(False) & (pl.col("got_printed") == pl.col("printed")).fill_null(False)
    both = both.with_columns(ok=ok)
    wrong = both.filter(~pl.col("ok"))
    extra = got.join(expected, on=key, how="anti").height
    # why a whole file is missing: superseded, rejected, or simply absent
    missing_files = (wrong.filter(pl.col("got_printed").is_null()).select("file").unique()
                     .join(status, on="file", how="left").join(rejected, on="file", how="left"))
    return {"right": both.filter(pl.col("ok")).height, "total": expected.height, "wrong": wrong,
            "extra": extra, "duplicate_keys": dupes, "missing_files": missing_files}


def print_cell_check(check: dict, label: str) -> None:
    say(f"  cells right ({label}): {check['right']} / {check['total']}"
        + (f"   [{check['extra']} cells in the warehouse not in expected.csv]" if check["extra"] else "")
        + (f"   [{check['duplicate_keys']} duplicate keys in v_disclosure_facts]" if check["duplicate_keys"] else ""))
    wrong = check["wrong"]
    if wrong.height:
        say(f"  mismatches (first 10 of {wrong.height}):")
        for r in wrong.head(10).iter_rows(named=True):
            say(f"    {r['file']}  {r['category_code']}  {r['applicant_type'] or '-'}  {r['measure']}: "
                f"expected {r['printed']!r} ({r['value']:g}), warehouse "
                + ("nothing" if r["got_printed"] is None else f"{r['got_printed']!r} ({r['got_value']})"))
        for r in check["missing_files"].head(10).iter_rows(named=True):
            say(f"    file without cells: {r['file']} (dim_document status: {r['status']}; rejected: {r['reason']})")


# --- 4. stages in process ------------------------------------------------------------------------


def rss_now() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * PAGE


def stage_timings(pdfs: list[Path], ingest_workers_extra: int | None) -> dict:
    import gc

    import polars as pl

    from xxgk.documents import ingest
    from xxgk.extract.year import extract_year
    from xxgk.normalise import normalise_all

    out: dict[str, float] = {}
    n = len(pdfs)
    # imports and first-use caches (pdfminer's CMaps, OpenCC's dictionaries) before the clock
    t = time.perf_counter()
    normalise_all(ingest(pdfs[:1]).documents)
    warm = time.perf_counter() - t
    gc.collect()
    rss0 = rss_now()
    t = time.perf_counter()
    ingested = ingest(pdfs, workers=1)
    out["ingest (read_document, 1 worker)"] = time.perf_counter() - t
    rss_raw = rss_now()
    t = time.perf_counter()
    documents, rejected = normalise_all(ingested.documents)
    out["normalise_all"] = time.perf_counter() - t
    gc.collect()
    rss_norm = rss_now()
    years = sorted({d.year for d in documents})
    t = time.perf_counter()
    tables = {y: extract_year(documents, y, ingested.duplicate_files) for y in years}
    out[f"extract_year ({len(years)} years)"] = time.perf_counter() - t

    t = time.perf_counter()
    from expectations import gates

    gates._gx()  # the import of great_expectations itself (gates imports it lazily)
    gx_import = time.perf_counter() - t
    t = time.perf_counter()
    gates._suite_and_batch("report_identities")  # ephemeral context + suite, once per process
    gates._suite_and_batch("year_carry")
    gx_setup = time.perf_counter() - t
    t = time.perf_counter()
    quality = {y: gates.validate_reports(tables[y].cells) for y in years}
    out[f"validate_reports (GX, {len(years)} years)"] = time.perf_counter() - t

    from warehouse.loader import YearBatch, carry_cells, connect, ensure_schema, load_years, replace_carry_violations

    db_dir = Path(tempfile.mkdtemp(prefix="xxgk-bench-stages-"))
    load_s = carry_s = 0.0
    try:
        con = connect(db_dir / "w.duckdb")
        t = time.perf_counter()
        ensure_schema(con)
        load_s += time.perf_counter() - t
        for y in years:  # as assets/quality.py + assets/warehouse.py build the batch
            result = quality[y]
            yt = tables[y].rechoose(result.per_document)
            chosen = yt.chosen()
            versions = yt.documents.group_by("agency", "year").len("versions")
            reports = chosen.select("agency", "year", "document_id", "format_version", "cells", "cells_read", "warnings").join(
                result.per_document.select("document_id", "quality_status"), on="document_id", how="left").join(
                versions, on=["agency", "year"]).select(
                "agency", "year", "document_id", "format_version", "cells", "cells_read", "warnings", "versions", "quality_status")
            batch = YearBatch(
                years=[y],
                documents=yt.documents.select("document_id", "source_file", "duplicate_files", "format", "size_bytes", "pages",
                                              "agency", "year", "format_version", "status"),
                reports=reports, cells=yt.chosen_cells(), warnings=yt.warnings,
                violations=result.violations.join(chosen.select("document_id"), on="document_id", how="semi"),
                rejected=yt.rejected, differences=yt.differences,
            )
            t = time.perf_counter()
            if y != years[0]:
                ensure_schema(con)  # the asset calls it on every load
            load_years(con, batch)
            load_s += time.perf_counter() - t
            t = time.perf_counter()
            carry = gates.validate_year_carry(carry_cells(con, y))
            replace_carry_violations(con, [y, y + 1], carry.violations)
            carry_s += time.perf_counter() - t
        con.close()
    finally:
        shutil.rmtree(db_dir, ignore_errors=True)
    out[f"DuckDB load (ensure_schema + load_years, {len(years)} years)"] = load_s
    out[f"validate_year_carry + replace (GX, {len(years)} years)"] = carry_s

    extra = {}
    rejected_count = len(ingested.rejected) + len(rejected)
    if ingest_workers_extra:
        del ingested
        gc.collect()
        t = time.perf_counter()
        ingest(pdfs, workers=ingest_workers_extra)
        extra[f"ingest alone, {ingest_workers_extra} workers"] = time.perf_counter() - t
    cells = sum(t.cells.height for t in tables.values())
    return {"stages": out, "warm": warm, "pages": pages_read(pdfs), "gx_import": gx_import, "gx_setup": gx_setup, "n": n, "documents": len(documents),
            "rejected": rejected_count, "years": years, "cells": cells, "extra": extra,
            "rss_raw_per_report": (rss_raw - rss0) / max(1, n), "rss_norm_per_report": (rss_norm - rss0) / max(1, n)}


def pages_read(pdfs: list[Path]) -> tuple[int, int]:
    """(pages pdfplumber reads, pages) as read_document chooses them: page 1 + table pages."""
    import pypdfium2 as pdfium

    from xxgk.documents import _TABLE_PAGE

    wanted = total = 0
    for path in pdfs:
        pdf = pdfium.PdfDocument(path.read_bytes())
        texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        pdf.close()
        total += len(texts)
        wanted += len({0} | {i for i, text in enumerate(texts) if _TABLE_PAGE.search(text)})
    return wanted, total


# --- 5. the naive baseline ------------------------------------------------------------------------


def naive_baseline(pdfs: list[Path]) -> dict:
    import pdfplumber

    pages = tables = 0
    t = time.perf_counter()
    for path in pdfs:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                tables += len(page.extract_tables())
                pages += 1
    return {"seconds": time.perf_counter() - t, "pages": pages, "tables": tables, "n": len(pdfs)}


# --- 7. the profile ---------------------------------------------------------------------------------


def profile(pdfs: list[Path], top: int = 15) -> None:
    from xxgk.documents import ingest
    from xxgk.extract.year import extract_year
    from xxgk.normalise import normalise_all

    # warm the imports so the profile shows the work, not module loading
    import opencc, pdfplumber, pypdfium2, polars  # noqa: E401,F401
    normalise_all(ingest(pdfs[:1]).documents)

    prof = cProfile.Profile()
    timings = {}
    prof.enable()
    t = time.perf_counter()
    ingested = ingest(pdfs, workers=1)
    timings["ingest"] = time.perf_counter() - t
    t = time.perf_counter()
    documents, _ = normalise_all(ingested.documents)
    timings["normalise"] = time.perf_counter() - t
    t = time.perf_counter()
    for y in sorted({d.year for d in documents}):
        extract_year(documents, y, ingested.duplicate_files)
    timings["extract"] = time.perf_counter() - t
    prof.disable()
    total = sum(timings.values())
    say(f"\n== profile: ingest + normalise + extract, 1 process, {len(pdfs)} reports (under cProfile) ==")
    say("  " + ", ".join(f"{k} {v:.2f} s ({v / len(pdfs) * 1000:.0f} ms/report)" for k, v in timings.items())
        + f"; total {total:.2f} s = {total / len(pdfs) * 1000:.0f} ms/report")
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    say(f"  top {top} by cumulative time:")
    say("\n".join("    " + l for l in buf.getvalue().splitlines() if l.strip() and not l.startswith("   Ordered")))

    # self time by library: where the seconds actually burn
    by_lib: dict[str, float] = defaultdict(float)
    raw = pstats.Stats(prof).stats  # (file, line, func) -> (cc, nc, tottime, cumtime, callers)
    for (filename, _, func), (_, _, tottime, _, _) in raw.items():
        by_lib[_library(filename, func)] += tottime
    grand = sum(by_lib.values())
    say("  self time by library (sum of tottime):")
    for lib, secs in sorted(by_lib.items(), key=lambda kv: -kv[1])[:10]:
        say(f"    {lib:<28} {secs:6.2f} s  {secs / grand:5.1%}   {secs / len(pdfs) * 1000:5.0f} ms/report")

    # the calls that matter, inclusive time (max over same-named functions)
    say("  inclusive time of the key calls:")
    wanted = {("documents.py", "pdf_rows"): "xxgk pdf_rows (one PDF, all of it)",
              ("textpage.py", "get_text_range"): "  pypdfium2 text of every page",
              ("documents.py", "_pdfplumber_rows"): "  pdfplumber on page 1 + table pages",
              ("page.py", "parse_objects"): "    pdfminer parse of those pages",
              ("page.py", "dedupe_chars"): "    dedupe_chars (incl. the parse)",
              ("table.py", "find_tables"): "    find_tables",
              ("page.py", "extract_text_lines"): "    extract_text_lines",
              ("normalise.py", "normalise_document"): "normalise_document",
              ("normalise.py", "to_simplified"): "  OpenCC t2s",
              ("tables.py", "extract_report"): "extract_report (tables 二 三 四)"}
    found: dict[str, float] = {}
    for (filename, _, func), (_, _, _, cumtime, _) in raw.items():
        name = wanted.get((Path(filename).name, func))
        if name:
            found[name] = max(found.get(name, 0.0), cumtime)
    for name in wanted.values():
        if name in found:
            say(f"    {name:<42} {found[name]:6.2f} s  {found[name] / total:5.1%}")
    say("  (cProfile slows pure-Python code such as pdfminer more than C code: shares, not absolute times)")


def _library(filename: str, func: str) -> str:
    if filename == "~":
        return f"builtin: {func[:22]}" if "method" not in func else "builtin methods"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    try:
        return "xxgk: " + str(Path(filename).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return "stdlib: " + Path(filename).name


# --- 6. the summary ---------------------------------------------------------------------------------


def mark(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200, help="synthetic PDFs in the corpus (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="end-to-end runs per worker count (default 3); medians")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default 1,2)")
    parser.add_argument("--profile", action="store_true", help="also cProfile ingest+normalise+extract on ~50 reports")
    parser.add_argument("--profile-reports", type=int, default=50)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "xxgk-bench")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between /proc samples of the tree's memory")
    parser.add_argument("--no-scaling", action="store_true",
                        help="skip the runs on the first N/2 reports (per-report cost and memory, for extrapolation)")
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep each run's DAGSTER_HOME and warehouse")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.repeat < 1 or not workers:
        parser.error("need --repeat >= 1 and at least one worker count")
    os.chdir(PROJECT_ROOT)
    started = time.perf_counter()

    say(f"xxgk throughput benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    say(f"memory: psutil is {'' if _has_psutil() else 'not '}installed; peak of the run's process tree sampled from "
        f"/proc every {args.poll} s (sum of RSS, and of PSS), and per run the largest single process "
        f"(getrusage RUSAGE_CHILDREN in a fresh wrapper)")
    root = corpus(args.reports, args.seed, args.cache_dir)
    pdfs = sorted((root / "inbox").glob("*.pdf"))
    n = len(pdfs)
    with open(root / "reports.csv", encoding="utf-8") as fh:
        meta = list(csv.DictReader(fh))
    pages = sum(int(r["pages"]) for r in meta)
    templates = defaultdict(int)
    for r in meta:
        templates[r["template"]] += 1
    say(f"        {n} reports ({', '.join(f'{v} x {k} template' for k, v in sorted(templates.items()))}), {pages} pages "
        f"({pages / n:.1f} a report), {sum(p.stat().st_size for p in pdfs) / n / 1024:.0f} KB a report")

    # --- 2 + 3. end to end, and the cells
    say(f"\n== end to end: python -m pipelines.cli run, {args.repeat} x workers {workers} (order ABBA...) ==")
    runs: dict[int, list[dict]] = {w: [] for w in workers}
    checks = []

    def show(run: dict, label: str, count: int, check: dict | None) -> None:
        phases = ", ".join(f"{k.split(' (')[0]} {v:.1f}" for k, v in run["phases"].items())
        say(f"  {label}: wall {run['wall_s']:6.1f} s ({run['wall_s'] / count:.3f} s/report), CPU {run['cpu_s']:6.1f} s "
            f"({run['cpu_s'] / run['wall_s']:.2f} cores busy), peak tree RSS {mb(run['tree_rss_peak'])} / PSS {mb(run['tree_pss_peak'])}, "
            f"largest process {mb(run['largest_process_maxrss'])}"
            + (f"; cells {check['right']}/{check['total']}" if check else ""))
        say(f"        phases (s): {phases};  rest of the machine: {run['other_cores']:.2f} cores busy, steal {run['steal_cores']:.2f}")

    for r in range(args.repeat):
        for w in (workers if r % 2 == 0 else list(reversed(workers))):
            run = run_end_to_end(root / "inbox", w, args.poll, args.keep)
            check = check_cells(run["warehouse"], root / "expected.csv")
            checks.append(check)
            runs[w].append(run)
            show(run, f"run {r + 1} workers={w}", n, check)
            if r == 0 and w == workers[0]:
                say(f"        {run['inbox_line']}")
            if check["right"] != check["total"]:
                print_cell_check(check, f"run {r + 1}, workers={w}")
            cleanup(run)
    say(f"  cells right: {min(c['right'] for c in checks)} / {checks[0]['total']} (worst of {len(checks)} runs)")
    if checks[0]["extra"]:
        say(f"  ({checks[0]['extra']} cells in the warehouse are not in expected.csv)")
    if all(c["right"] == c["total"] for c in checks):
        say("  mismatches: none")

    half_runs: dict[int, dict] = {}
    if not args.no_scaling and n >= 20:
        half = pdfs[: n // 2]
        tmp = Path(tempfile.mkdtemp(prefix="xxgk-bench-half-"))
        try:
            inbox = sub_inbox(half, tmp / "inbox")
            say(f"  scaling runs on the first {len(half)} reports (once per worker count):")
            for w in workers:
                run = run_end_to_end(inbox, w, args.poll, args.keep)
                cleanup(run)
                half_runs[w] = run
                show(run, f"  {len(half)} reports, workers={w}", len(half), None)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    n_half = n // 2

    # --- 4. stages
    stages = None
    if not args.skip_stages:
        say(f"\n== stages, in process, the same {n} files ==")
        stages = stage_timings(pdfs, 2 if 2 in workers else None)
        wanted, total_pages = stages["pages"]
        say(f"  {stages['documents']} reports, {stages['rejected']} rejected, years {stages['years']}, {stages['cells']} cells extracted; "
            f"pdfplumber reads {wanted} of {total_pages} pages ({wanted / total_pages:.0%}): page 1 + table pages")
        total = sum(stages["stages"].values())
        for name, secs in stages["stages"].items():
            say(f"  {name:<58} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report  {secs / total:5.1%}")
        say(f"  {'sum':<58} {total:7.2f} s  {total / n * 1000:7.1f} ms/report")
        say(f"  GX import (import great_expectations, once per process)   {stages['gx_import']:7.2f} s")
        say(f"  GX ephemeral context + 2 suites (once per process)         {stages['gx_setup']:7.2f} s")
        say(f"  warm-up before the clock (imports, first report)           {stages['warm']:7.2f} s")
        for name, secs in stages["extra"].items():
            say(f"  {name:<58} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report  "
                f"(speed-up {stages['stages']['ingest (read_document, 1 worker)'] / secs:.2f}x over 1 worker)")
        say(f"  memory held in process (RSS growth): {stages['rss_raw_per_report'] / 1024:.0f} KB/report after ingest, "
            f"{stages['rss_norm_per_report'] / 1024:.0f} KB/report with the normalised documents too")

    # --- 5. baseline
    base = None
    if not args.skip_baseline:
        say(f"\n== naive baseline: pdfplumber.open(path) + page.extract_tables() on every page, 1 process, the same {n} files ==")
        base = naive_baseline(pdfs)
        say(f"  {base['seconds']:.1f} s = {base['seconds'] / n:.3f} s/report ({base['pages']} pages, {base['tables']} tables found)")

    # --- 6. summary
    keys = ("wall_s", "cpu_s", "tree_rss_peak", "tree_pss_peak", "largest_process_maxrss", "other_cores")
    med = {w: {k: median([r[k] for r in runs[w]]) for k in keys} for w in workers}
    phase_names = list(runs[workers[0]][0]["phases"])
    marginal = {w: (med[w]["wall_s"] - half_runs[w]["wall_s"]) / (n - n_half) for w in half_runs}
    say(f"\n== summary: {n} synthetic text-layer reports, medians of {args.repeat} runs ==")
    say(f"  {'':<40}" + "".join(f"{f'workers={w}':>18}" for w in workers))
    rows = [
        ("wall time (s)", lambda w: f"{med[w]['wall_s']:.1f}"),
        ("  each run (s)", lambda w: " ".join(f"{r['wall_s']:.1f}" for r in runs[w])),
        *[(f"  {p.split(' (')[0]} (s)", (lambda p: lambda w: f"{median([r['phases'].get(p, float('nan')) for r in runs[w]]):.1f}")(p))
          for p in phase_names],
        ("s per report (wall / N)", lambda w: f"{med[w]['wall_s'] / n:.3f}"),
        ("core-s per report (wall x workers / N)", lambda w: f"{med[w]['wall_s'] * w / n:.3f}"),
        ("CPU s per report (all processes)", lambda w: f"{med[w]['cpu_s'] / n:.3f}"),
        ("reports/hour", lambda w: f"{n / med[w]['wall_s'] * 3600:,.0f}"),
        ("reports/hour per core", lambda w: f"{n / med[w]['wall_s'] * 3600 / w:,.0f}"),
    ]
    if half_runs:
        rows += [
            (f"marginal s/report ({n_half}->{n} reports)", lambda w: f"{marginal[w]:.3f}" if w in marginal else "-"),
            ("  -> reports/hour per core", lambda w: f"{3600 / marginal[w] / w:,.0f}" if w in marginal and marginal[w] > 0 else "-"),
            ("fixed cost per run (s)", lambda w: f"{med[w]['wall_s'] - marginal[w] * n:.1f}" if w in marginal else "-"),
        ]
    rows += [
        ("peak memory, tree RSS", lambda w: mb(med[w]["tree_rss_peak"])),
        ("peak memory, tree PSS", lambda w: mb(med[w]["tree_pss_peak"])),
        ("peak memory, largest process", lambda w: mb(med[w]["largest_process_maxrss"])),
        ("rest of machine busy (cores)", lambda w: f"{med[w]['other_cores']:.2f}"),
    ]
    if base:
        rows.append(("naive baseline / pipeline (s/report)", lambda w: f"{base['seconds'] / med[w]['wall_s']:.2f}x"))
    for label, fn in rows:
        say(f"  {label:<40}" + "".join(f"{fn(w):>18}" for w in workers))
    if base:
        say(f"  naive baseline: {base['seconds'] / n:.3f} s/report (1 process)")

    say("\n  targets:")
    for w in workers:
        rate = n / med[w]["wall_s"] * 3600 / w
        say(f"  - ≥ {TARGET_REPORTS_PER_HOUR_PER_CORE:,} text-layer reports/hour/core (≤ {TARGET_S_PER_REPORT} s/report), end to end, "
            f"workers={w}{' (divided by 2)' if w == 2 else ''}: {rate:,.0f}/h/core = {med[w]['wall_s'] * w / n:.3f} core-s/report "
            f"-> {mark(rate >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
        if w in marginal and marginal[w] > 0:
            r2 = 3600 / marginal[w] / w
            say(f"      without the fixed cost per run (marginal, {n_half}->{n} reports): {r2:,.0f}/h/core = "
                f"{marginal[w] * w:.3f} core-s/report -> {mark(r2 >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
    if stages:
        steady = sum(stages["stages"].values())
        say(f"      in-process stage sum (no Dagster, no imports): {steady / n:.3f} s/report = {n / steady * 3600:,.0f}/h/core "
            f"-> {mark(n / steady * 3600 >= TARGET_REPORTS_PER_HOUR_PER_CORE)}")
    if base:
        say(f"  - ≥ {TARGET_BASELINE_RATIO}x the naive baseline ({base['seconds'] / n:.3f} s/report, 1 process), end to end: "
            + "; ".join(f"workers={w} {base['seconds'] / med[w]['wall_s']:.2f}x -> {mark(base['seconds'] / med[w]['wall_s'] >= TARGET_BASELINE_RATIO)}"
                        for w in workers))
        if stages:
            ing = stages["stages"]["ingest (read_document, 1 worker)"]
            say(f"      reading alone (read_document, in process, 1 worker): {ing / n:.3f} s/report -> {base['seconds'] / ing:.2f}x the baseline")
    if 1 in workers and 2 in workers:
        sp = med[1]["wall_s"] / med[2]["wall_s"]
        say(f"  - ≥ {TARGET_SPEEDUP}x speed-up 1 -> 2 workers, end to end: {sp:.2f}x (medians; pairs of runs: "
            + ", ".join(f"{a['wall_s'] / b['wall_s']:.2f}x" for a, b in zip(runs[1], runs[2])) + f") -> {mark(sp >= TARGET_SPEEDUP)}")
        if 1 in marginal and 2 in marginal and marginal[2] > 0:
            say(f"      marginal per-report cost: {marginal[1] / marginal[2]:.2f}x")
        if stages and stages["extra"]:
            ing1 = stages["stages"]["ingest (read_document, 1 worker)"]
            ing2 = next(iter(stages["extra"].values()))
            say(f"      ingest alone (in process, the only parallel stage): {ing1 / ing2:.2f}x")
    for w in workers:
        peak, pss = med[w]["tree_rss_peak"], med[w]["tree_pss_peak"]
        head = f"  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={w}:"
        if n >= TARGET_MEMORY_AT:
            say(f"{head} measured at {n}: tree RSS {mb(peak)} (PSS {mb(pss)}) -> {mark(peak < TARGET_MEMORY_BYTES)}")
        elif w in half_runs:
            slope = (peak - half_runs[w]["tree_rss_peak"]) / (n - n_half)
            slope_pss = (pss - half_runs[w]["tree_pss_peak"]) / (n - n_half)
            est = peak + max(slope, 0) * (TARGET_MEMORY_AT - n)
            est_pss = pss + max(slope_pss, 0) * (TARGET_MEMORY_AT - n)
            say(f"{head} EXTRAPOLATED, not measured: tree RSS {mb(half_runs[w]['tree_rss_peak'])} at {n_half}, {mb(peak)} at {n} reports "
                f"-> {slope / 1024:,.0f} KB/report -> ~{est / 2**30:.1f} GB at {TARGET_MEMORY_AT:,} (PSS: ~{est_pss / 2**30:.1f} GB) "
                f"-> {mark(est < TARGET_MEMORY_BYTES)} (linear extrapolation from {n} reports)")
        else:
            say(f"{head} tree RSS {mb(peak)} at {n} reports; no scaling run, cannot extrapolate -> n/a")
    if stages and n < TARGET_MEMORY_AT:
        per = stages["rss_norm_per_report"]
        say(f"      cross-check in process: the raw + normalised documents hold ~{per / 1024:.0f} KB/report "
            f"-> ~{per * TARGET_MEMORY_AT / 2**30:.1f} GB for {TARGET_MEMORY_AT:,} reports before any fixed cost (extrapolation)")
    worst = min(checks, key=lambda c: c["right"])
    say(f"  - 100% of generated cells right: {worst['right']} / {worst['total']} (worst of {len(checks)} runs) -> "
        f"{mark(all(c['right'] == c['total'] for c in checks))}")

    if args.profile:
        profile(pdfs[: min(args.profile_reports, n)])
    say(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


def _has_psutil() -> bool:
    try:
        import psutil  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
