"""Throughput of the real pipeline on synthetic text-layer report PDFs, against the targets.

    .venv/bin/python -m benchmarks.throughput [--reports N] [--repeat R] [--workers 1,2] [--no-embed]
                                              [--memory-run M] [--memory-only] [--profile]

Prints figures; asserts nothing about time (this is a benchmark, not a test). In order:

1. a corpus of N synthetic PDFs of both templates (tests/fixtures/synthetic.write_corpus via
   `python -m tests.fixtures.synthetic OUT N SEED`), cached in $TMPDIR/xxgk-bench/ under a
   key of N, seed, whether a CJK font is embedded (fonts-wqy-microhei when installed, as
   published PDFs do; `--no-embed`: reportlab's non-embedded STSong-Light, which makes
   the pipeline fall back to pdfplumber for every file) and the generator's source hash;
2. end to end: `python -m pipelines.cli run` as a subprocess, per worker count
   (XXGK_WORKERS; XXGK_VERIFY_SHARE as in production unless --verify-share; XXGK_STAGING
   in the run's temporary folder), each run with a fresh DAGSTER_HOME (dagster.yaml
   copied, instance created before the clock starts), a fresh warehouse and Data Docs
   off; wall time, CPU time, peak memory, the time of each Dagster step (from the run's
   event log); R repeats, worker counts alternated (ABBA), medians;
3. every generated cell checked against v_disclosure_facts (value and printed text), and
   from dim_document (reader, reader_check) how many documents each PDF reader read;
4. time per stage, in process, on the same files, through the streaming stage functions
   the assets call (xxgk.inbox.read_inbox -> xxgk.normalise.normalise_store ->
   xxgk.extract.year.extract_store -> expectations.gates.validate_report_batches ->
   warehouse.loader.load_years + validate_year_carry), 1 worker, then reading, normalising
   and extracting again with 2 workers; the cells of *every* document (superseded
   versions too) checked against expected.csv;
5. the naive baseline: pdfplumber.open + page.extract_tables() on every page, 1 process;
6. a summary against the targets;
7. with --memory-run M: one end-to-end run with --memory-workers (default 2) on a corpus of
   M reports, its peak memory printed as MEASURED next to the linear extrapolation from N/2 and N
   (--memory-only: that run and nothing else);
8. with --profile: cProfile of read + normalise + extract on ~50 reports, 1 process.

How long it takes here (2 cores): about 260 s of fixed cost (8 end-to-end runs at ~30 s of
start-up, GX import, 6 year jobs and cell check each) plus ~1.0-1.2 s per report (3 + 3 runs,
the N/2 scaling runs, the in-process stages at 1 and 2 workers, and the naive baseline at
~0.25-0.37 s a report, which alone is a quarter of it). So the default N = 500 takes ~13-15
minutes on a quiet machine (N = 1000 would take ~22-25 min, hence not the default), plus
~50 s to generate the corpus the first time (~0.1 s a PDF, ~82 KB each; cached after).
`--memory-run 10000` adds ~15 min to generate that corpus once (~0.8 GB on disk, cached)
and one run of ~10 min. On a shared machine each measurement first waits up to
--quiet-wait s for the others to go quiet, and a run is redone (at most --retries times)
when they kept more than --max-other-load cores busy: add up to that much.

Peak memory is measured without psutil (not installed in the venv), two ways:
- "tree RSS" (used for the target): the sum of RSS over the run's process tree (the CLI,
  the forkserver and its worker processes), sampled from /proc/<pid>/smaps_rollup every
  --poll seconds; it can miss a spike shorter than the interval, and counts the pages the
  workers share with the forkserver once per process (an over-statement); "tree PSS" is
  the same sum with shared pages split;
- "largest process": getrusage(RUSAGE_CHILDREN).ru_maxrss in a fresh wrapper process per
  run (benchmarks/_rusage_wrapper.py): exact, but the peak of the largest single process.

The machine may be shared: before each measurement the script waits (up to --quiet-wait
seconds) for the rest of the machine to go quiet, and prints how many cores the rest of
the machine kept busy during each run. The code fingerprint in the header hashes the
pipeline's sources, so a set of figures can be tied to the code it measured.
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
import re
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
DEFAULT_REPORTS = 500  # ~13-15 min here (module docstring); 1000 would take ~22-25 min
PAGE = os.sysconf("SC_PAGE_SIZE")

if str(PROJECT_ROOT) not in sys.path:  # `python benchmarks/throughput.py` as well as `-m`
    sys.path.insert(0, str(PROJECT_ROOT))


def code_fingerprint() -> str:
    """A short hash of the pipeline's source, so figures can be tied to the code they measured."""
    h = hashlib.sha256()
    for folder in ("xxgk", "assets", "pipelines", "expectations", "warehouse"):
        for f in sorted((PROJECT_ROOT / folder).rglob("*")):
            if f.suffix in (".py", ".sql", ".csv") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(PROJECT_ROOT)).encode())
                h.update(f.read_bytes())
    h.update((PROJECT_ROOT / "dagster.yaml").read_bytes())
    return h.hexdigest()[:12]


def say(text: str = "") -> None:
    print(text, flush=True)


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.0f} MB"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


# --- 1. the corpus -------------------------------------------------------------------------------


# The CJK font the generator embeds when it is installed (tests/fixtures/synthetic.EMBEDDABLE_FONT;
# Debian package fonts-wqy-microhei). Read from the generator so the two never disagree.
def embeddable_font() -> Path:
    m = re.search(r'EMBEDDABLE_FONT = Path\("([^"]+)"\)', SYNTHETIC.read_text(encoding="utf-8"))
    return Path(m.group(1)) if m else Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def corpus(n: int, seed: int, cache_root: Path, embed: bool = True) -> tuple[Path, str]:
    """cache_root/n{N}-seed{S}-{font}-{hash}/ with inbox/*.pdf, expected.csv, reports.csv, corpus.json
    (made once). Returns (folder, font description). `embed`: embed the CJK font when installed."""
    font = embeddable_font()
    embedded = embed and font.is_file()
    tag = f"embed-{re.sub(r'[^A-Za-z0-9]+', '', font.stem)}" if embedded else "noembed"
    font_text = (f"CJK font embedded ({font.name}, subset)" if embedded else
                 "CJK font NOT embedded (reportlab STSong-Light)" + ("" if not embed else f"; {font} is not installed"))
    # the generator and the modules it is split into
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SYNTHETIC.parent.glob("*.py")))).hexdigest()[:10]
    final = cache_root / f"n{n}-seed{seed}-{tag}-{digest}"
    if (final / "corpus.json").is_file() and len(list((final / "inbox").glob("*.pdf"))) == n:
        say(f"corpus: {n} PDFs (seed {seed}), {font_text}; reused from {final}")
        return final, font_text
    cache_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{final.name}.", dir=cache_root))
    t0 = time.perf_counter()
    say(f"corpus: generating {n} PDFs (seed {seed}), {font_text} (~0.09 s a PDF) ...")
    # in a subprocess: keeps reportlab and the generator out of this process's memory
    out = subprocess.run([PY, "-m", "tests.fixtures.synthetic", str(work / "inbox"), str(n), str(seed),
                          *([] if embedded else ["--no-embed"])],
                         cwd=PROJECT_ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
    for name in ("expected.csv", "reports.csv"):  # the inbox holds the PDFs only
        (work / "inbox" / name).rename(work / name)
    (work / "corpus.json").write_text(json.dumps({"n": n, "seed": seed, "embedded_font": str(font) if embedded else None,
                                                  "generator": digest, "generator_said": out}, indent=1))
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    say(f"corpus: {n} PDFs generated in {time.perf_counter() - t0:.1f} s -> {final}  [{out.splitlines()[-1] if out else ''}]")
    return final, font_text


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


def _rss_pss_each(pids: list[int]) -> dict[int, tuple[int, int]]:
    """RSS and PSS (bytes) of each of `pids`. PSS splits pages shared between the forked
    workers and their parent, so it does not count them twice as RSS does."""
    out: dict[int, tuple[int, int]] = {}
    for pid in pids:
        rss = pss = 0
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss = int(line.split()[1]) * 1024
                    elif line.startswith(b"Pss:"):
                        pss = int(line.split()[1]) * 1024
        except OSError:
            continue
        out[pid] = (rss, pss)
    return out


def _role(pid: int) -> str:
    """What a process of the run's tree is, from its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    argv = cmd.split()
    if "_rusage_wrapper" in " ".join(argv[:2]):
        return "wrapper"
    if "forkserver" in cmd:  # the workers are forked from it: the same command line
        return "forkserver + workers"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "pipelines.cli" in " ".join(argv[:4]):
        return "xxgk run (Dagster, GX, DuckDB)"
    return " ".join(Path(a).name for a in argv[:3])[:40]


class TreeSampler(threading.Thread):
    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = self.peak_pss = self.samples = self.max_procs = 0
        self.timeline: list[tuple[float, int, int]] = []
        self.peak_each: list[tuple[str, int, int]] = []
        self.wall_minus_perf = time.time() - time.perf_counter()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            pids = _tree(self.root)
            each = _rss_pss_each(pids)
            rss, pss = sum(r for r, _ in each.values()), sum(p for _, p in each.values())
            if rss > self.peak_rss:  # who held the memory at the peak
                self.peak_each = [(_role(pid), r, p) for pid, (r, p) in each.items()]
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.timeline.append((time.perf_counter(), rss, pss))
            self.max_procs = max(self.max_procs, len(pids))
            self.samples += 1


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[float, float]:
    """Seconds of CPU busy (all processes on the machine) and stolen by the hypervisor."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = f
    return (user + nice + system + irq + softirq) / CLK_TCK, steal / CLK_TCK


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """The machine is shared: wait (at most max_wait s) until the others use < threshold cores
    over a 1-second look. Returns the cores they used in the last look."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, _ = cpu_ticks()
        time.sleep(1.0)
        b1, _ = cpu_ticks()
        busy = b1 - b0
        if busy < threshold or time.monotonic() >= deadline:
            return busy


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


def step_windows(home: Path) -> list[tuple[str, float, float]]:
    """(step, start, end) of every Dagster step of the runs in `home`, in epoch seconds (the
    event log stores naive UTC)."""
    import sqlite3
    from datetime import datetime, timezone

    out = []
    for db in sorted((home / "history" / "runs").glob("*.db")):
        if db.name == "index.db":
            continue
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT dagster_event_type, step_key, timestamp FROM event_logs WHERE dagster_event_type "
                               "IN ('STEP_START', 'STEP_SUCCESS', 'STEP_FAILURE') ORDER BY id").fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            con.close()
        started: dict[str, float] = {}
        for kind, step, ts in rows:
            when = datetime.fromisoformat(str(ts)).replace(tzinfo=timezone.utc).timestamp()
            if kind == "STEP_START":
                started[step] = when
            elif step in started:
                out.append((step, started.pop(step), when))
    return out


def dagster_steps(windows: list[tuple[str, float, float]]) -> dict[str, float]:
    """Seconds of each Dagster step (STEP_START -> STEP_SUCCESS/FAILURE) from step_windows, summed
    over the runs: the time per stage, end to end. A partitioned step (one per year job) is
    summed over the years; steps are listed in the order they first started."""
    out: dict[str, float] = defaultdict(float)
    first: dict[str, float] = {}
    for step, start, end in windows:
        out[step] += end - start
        first[step] = min(first.get(step, start), start)
    return {step: out[step] for step in sorted(out, key=first.__getitem__)}


def io_manager_bytes(storage: Path) -> dict[str, int]:
    """Bytes Dagster's fs_io_manager wrote per asset (what passes between the steps: the stores'
    manifests, pickled), under DAGSTER_HOME/storage."""
    out: dict[str, int] = defaultdict(int)
    for entry in sorted(storage.glob("*")) if storage.is_dir() else []:
        name = "(op outputs of runs)" if re.fullmatch(r"[0-9a-f-]{36}", entry.name) else entry.name
        files = [entry] if entry.is_file() else [f for f in entry.rglob("*") if f.is_file()]
        out[name] += sum(f.stat().st_size for f in files)
    return dict(out)


def run_end_to_end(inbox: Path, workers: int, poll: float, keep: bool, quiet: float = 0,
                   verify_share: float | None = None) -> dict:
    """One `python -m pipelines.cli run` on `inbox`, fresh instance, warehouse and staging folder."""
    tmp = Path(tempfile.mkdtemp(prefix=f"xxgk-bench-run-w{workers}-"))
    home = tmp / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp / "xxgk.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox), "XXGK_WAREHOUSE": str(warehouse),
           "XXGK_WORKERS": str(workers), "XXGK_STAGING": str(tmp / "staging"),
           "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_DATA_DOCS": str(tmp / "data_docs"), "PYTHONUNBUFFERED": "1"}
    if verify_share is not None:
        env["XXGK_VERIFY_SHARE"] = str(verify_share)
    # the instance (sqlite run/event storage) is created before the clock starts
    subprocess.run([PY, "-c", "from dagster import DagsterInstance; DagsterInstance.get()"],
                   env=env, cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    files = {k: tmp / f"{k}" for k in ("result.json", "lines.json", "stderr.log")}
    cmd = [PY, str(WRAPPER), *map(str, files.values()), "--", PY, "-m", "pipelines.cli", "run"]
    if quiet:
        wait_for_quiet(quiet)
    busy0, steal0 = cpu_ticks()
    self0 = os.times()
    proc = subprocess.Popen(cmd, env=env, cwd=PROJECT_ROOT)
    sampler = TreeSampler(proc.pid, poll)
    sampler.start()
    proc.wait()
    sampler.done.set()
    sampler.join()
    busy1, steal1 = cpu_ticks()
    self1 = os.times()
    own_cpu = (self1.user - self0.user) + (self1.system - self0.system)  # this process: the /proc sampler
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
    # peak tree RSS within each phase (the wrapper's clock and ours are both CLOCK_MONOTONIC)
    phase_peak: dict[str, int] = {}
    start = result["t0"]
    for name, length in phases.items():
        window = [rss for t, rss, _ in sampler.timeline if start <= t < start + length]
        phase_peak[name] = max(window, default=0)
        start += length
    # peak tree RSS within each Dagster step (over its years), the clocks tied by the sampler
    windows = step_windows(home)
    step_peak: dict[str, int] = defaultdict(int)
    for step, t_start, t_end in windows:
        a, b = t_start - sampler.wall_minus_perf, t_end - sampler.wall_minus_perf
        window = [rss for t, rss, _ in sampler.timeline if a <= t <= b]
        step_peak[step] = max(step_peak[step], max(window, default=0))
    sorted_line = next((l.strip() for _, l in lines if " files, " in l and " reports" in l), "")
    year_times = [float(m.group(1)) for _, l in lines if (m := re.search(r" done in ([0-9.]+) s", l))]
    run = {
        "workers": workers,
        "wall_s": result["wall_s"],
        "cpu_s": result["user_s"] + result["sys_s"],
        "tree_rss_peak": sampler.peak_rss,
        "tree_pss_peak": sampler.peak_pss,
        "tree_samples": sampler.samples,
        "max_procs": sampler.max_procs,
        # CPU the rest of the machine used meanwhile (not the run's tree, not this benchmark's sampler), in cores
        "other_cores": max(0.0, (busy1 - busy0) - (result["user_s"] + result["sys_s"]) - own_cpu) / result["wall_s"],
        "sampler_cores": own_cpu / result["wall_s"],
        "steal_cores": (steal1 - steal0) / result["wall_s"],
        "largest_process_maxrss": result["maxrss_kb"] * 1024,
        "subreaper": result.get("subreaper", False),  # False: the workers' CPU is missing from cpu_s
        "phases": phases,
        "year_times": year_times,
        "phase_peak": phase_peak,
        "step_peak": dict(step_peak),
        "peak_each": sampler.peak_each,
        "inbox_line": sorted_line,
        "steps": dagster_steps(windows),
        "staging_bytes": sum(f.stat().st_size for f in (tmp / "staging").rglob("*") if f.is_file()),
        "io_manager_bytes": io_manager_bytes(home / "storage"),
        "warehouse": warehouse,
        "tmp": tmp,
        "keep": keep,
    }
    return run


def cleanup(run: dict) -> None:
    if not run["keep"]:
        shutil.rmtree(run["tmp"], ignore_errors=True)


# --- 3. are the cells right? ---------------------------------------------------------------------


def read_expected(expected_csv: Path):
    import polars as pl

    return pl.read_csv(expected_csv, infer_schema=False).with_columns(
        pl.col("applicant_type").fill_null(""), pl.col("value").cast(pl.Float64))


CELL_KEY = ["file", "category_code", "applicant_type", "measure"]


def compare_cells(expected, got) -> dict:
    """expected.csv against `got` (file, category_code, applicant_type '' outside table 三, measure,
    value, printed): value (to 1e-9) and printed text must both match."""
    import polars as pl

    both = expected.join(got.rename({"value": "got_value", "printed": "got_printed"}), on=CELL_KEY, how="left", coalesce=True)
    tol = 1e-9 * pl.max_horizontal(pl.lit(1.0), pl.col("value").abs())
    value_ok = (pl.col("got_value") - pl.col("value")).abs() <= tol
    ok = value_ok.fill_null(False) & (pl.col("got_printed") == pl.col("printed")).fill_null(False)
    both = both.with_columns(ok=ok)
    return {"right": both.filter(pl.col("ok")).height, "total": expected.height, "wrong": both.filter(~pl.col("ok")),
            "extra": got.join(expected, on=CELL_KEY, how="anti").height,
            "duplicate_keys": got.group_by(CELL_KEY).len().filter(pl.col("len") > 1).height}


def check_cells(warehouse: Path, expected_csv: Path) -> dict:
    import duckdb
    import polars as pl

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        got = con.execute(
            """SELECT regexp_extract(source_file, '[^/]*$') AS file, category_code,
                      coalesce(applicant_type, '') AS applicant_type, measure, value, printed
               FROM v_disclosure_facts
               -- result.other derived from its printed items (printed null) is not a generated cell
               WHERE NOT (category_code = 'result.other' AND printed IS NULL AND format_version = '2021')"""
        ).pl()
        status = con.execute(
            """SELECT regexp_extract(d.source_file, '[^/]*$') AS file, d.status,
                      (SELECT string_agg(regexp_extract(l.source_file, '[^/]*$'), ', ') FROM dim_document l
                       WHERE l.agency_id = d.agency_id AND l.year = d.year AND l.status = 'loaded') AS loaded_instead
               FROM dim_document d""").pl()
        rejected = con.execute(
            "SELECT regexp_extract(source_file, '[^/]*$') AS file, stage || ': ' || reason AS reason FROM rejected_document").pl()
        # which PDF reader read each document (xxgk.pdf.read_pdf), and why
        readers = con.execute(
            "SELECT coalesce(reader, '(none)') AS reader, count(*) AS documents FROM dim_document GROUP BY ALL ORDER BY 2 DESC, 1").fetchall()
        reader_checks = con.execute(
            """SELECT coalesce(reader, '(none)') AS reader, coalesce(reader_check, '(none)') AS reader_check, count(*) AS documents
               FROM dim_document GROUP BY ALL ORDER BY 3 DESC, 1, 2""").fetchall()
    finally:
        con.close()
    check = compare_cells(read_expected(expected_csv), got)
    wrong = check["wrong"].join(status, on="file", how="left").join(rejected, on="file", how="left")
    superseded = wrong.filter(pl.col("status") == "superseded")
    check.update(
        wrong=wrong,
        # by design (README): one document per agency-year; a second generated report of the same
        # agency and year is kept in dim_document as 'superseded', its cells are not in the view
        superseded_cells=superseded.height,
        superseded_files=superseded.select("file", "loaded_instead").unique().sort("file"),
        loaded_right=check["right"],
        loaded_total=check["total"] - superseded.height,
        readers=readers,
        reader_checks=reader_checks,
        rejected_count=rejected.height,
    )
    return check


def readers_text(readers: list[tuple]) -> str:
    return ", ".join(f"{r}: {n}" for r, n in readers) or "none"


def print_readers(check: dict, indent: str = "        ") -> None:
    total = sum(n for _, n in check["readers"])
    say(f"{indent}documents by reader (dim_document, {total} documents): {readers_text(check['readers'])}")
    for reader, why, n in check["reader_checks"][:8]:
        say(f"{indent}  {n:6d}  {reader:<16} {why[:110]}")
    if len(check["reader_checks"]) > 8:
        say(f"{indent}  ... and {len(check['reader_checks']) - 8} more (reader, reader_check) pairs")


def print_cell_check(check: dict, label: str) -> None:
    say(f"  cells right ({label}): {check['right']} / {check['total']}"
        + (f"   [{check['extra']} cells in the warehouse not in expected.csv]" if check["extra"] else "")
        + (f"   [{check['duplicate_keys']} duplicate keys in v_disclosure_facts]" if check["duplicate_keys"] else ""))
    wrong = check["wrong"]
    if not wrong.height:
        return
    import polars as pl

    real = wrong.filter(pl.col("status").fill_null("") != "superseded")
    say(f"  mismatches (first 10 of {wrong.height}; those of superseded files last):")
    for r in pl.concat([real, wrong.filter(pl.col("status") == "superseded")]).head(10).iter_rows(named=True):
        say(f"    {r['file']}  {r['category_code']}  {r['applicant_type'] or '-'}  {r['measure']}: "
            f"expected {r['printed']!r} ({r['value']:g}), warehouse "
            + ("nothing" if r["got_printed"] is None else f"{r['got_printed']!r} ({r['got_value']})")
            + f"  [file {r['status'] or 'not in dim_document'}{'; rejected: ' + r['reason'] if r['reason'] else ''}]")
    if check["superseded_cells"]:
        files = check["superseded_files"]
        say(f"  {check['superseded_cells']} of the {wrong.height} are all the cells of {files.height} files that the pipeline "
            f"keeps as 'superseded': the corpus has two reports of the same agency and year, the warehouse loads one")
        say("    " + "; ".join(f"{r['file']} (loaded: {r['loaded_instead']})" for r in files.iter_rows(named=True)))
        say(f"  cells right among the documents the warehouse loads: {check['loaded_right']} / {check['loaded_total']}")


# --- 4. stages in process ------------------------------------------------------------------------

# assets/quality.py GATE_BATCH_DOCUMENTS (not imported: that module imports Dagster)
GATE_BATCH_DOCUMENTS = 250
READ1 = "read_inbox (1 worker)"
STAGE_KEYS = {"read": READ1, "normalise": "normalise_store (1 worker)", "extract": "extract_store (1 worker)"}


def _year_batch(tables, result):
    """The YearBatch of one year, built as assets/quality.py (rechoose) + assets/warehouse.py do."""
    import polars as pl

    from warehouse.loader import YearBatch

    yt = tables.rechoose(result.per_document)
    documents = yt.documents.join(result.per_document.select("document_id", "quality_status"), on="document_id", how="left")
    return YearBatch(years=[tables.year], documents=documents.with_columns(archive_key=pl.lit(None, pl.String)),
                     cells=yt.cells_source, warnings=yt.warnings, violations=result.violations, rejected=yt.rejected)


def _du(folder: Path) -> int:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def stage_timings(pdfs: list[Path], extra_workers: int | None, expected_csv: Path, verify_share: float) -> dict:
    """The stage functions the assets call, in this process, on the same files: 1 worker
    (tasks run here, in order), then read/normalise/extract again with `extra_workers`."""
    import gc
    import pickle

    import polars as pl

    from expectations import gates
    from warehouse.loader import connect, ensure_schema, load_years
    from xxgk.extract.year import extract_store
    from xxgk.inbox import read_inbox
    from xxgk.normalise import normalise_store

    out: dict[str, float] = {}
    n = len(pdfs)
    work = Path(tempfile.mkdtemp(prefix="xxgk-bench-stages-"))
    try:
        # imports and first-use caches (pdfium, pdfminer's CMaps, OpenCC's dictionaries) before the
        # clock: two files read both ways, normalised, extracted
        t = time.perf_counter()
        warm = read_inbox(pdfs[:2], work / "warm" / "raw", workers=1, verify_share=1.0)
        warm_norm = normalise_store(warm, work / "warm" / "normalised", workers=1)
        for y in warm_norm.years:
            extract_store(warm_norm, y, work / "warm" / f"tables-{y}", workers=1)
        warm_s = time.perf_counter() - t

        t = time.perf_counter()
        raw = read_inbox(pdfs, work / "raw", workers=1, verify_share=verify_share)
        out[STAGE_KEYS["read"]] = time.perf_counter() - t
        t = time.perf_counter()
        norm = normalise_store(raw, work / "normalised", workers=1)
        out[STAGE_KEYS["normalise"]] = time.perf_counter() - t
        years = norm.years
        t = time.perf_counter()
        tables = {y: extract_store(norm, y, work / f"tables-{y}", workers=1) for y in years}
        out[STAGE_KEYS["extract"]] = time.perf_counter() - t
        stage_of = {STAGE_KEYS["read"]: "read", STAGE_KEYS["normalise"]: "normalise", STAGE_KEYS["extract"]: "extract"}

        # untimed: the cells of *every* document, superseded versions too, against expected.csv
        files = pl.concat([tables[y].documents.select("document_id", "source_file") for y in years])
        got = pl.concat([tables[y].cells.collect() for y in years]).join(files, on="document_id").select(
            pl.col("source_file").str.extract(r"([^/]*)$").alias("file"), "category_code",
            pl.col("applicant_type").fill_null(""), "measure", "value", "printed")
        all_cells = compare_cells(read_expected(expected_csv), got)
        cells = got.height
        del got
        readers = raw.documents.group_by("reader").len().sort("len", descending=True).rows()
        reader_checks = raw.documents.group_by("reader", "reader_check").len().sort("len", descending=True).rows()
        plumber_pages = pdfplumber_pages(raw.documents)

        t = time.perf_counter()
        gates._gx()  # the import of great_expectations itself (gates imports it lazily)
        gx_import = time.perf_counter() - t
        t = time.perf_counter()
        gates._suite_and_batch("report_identities")  # ephemeral context + suite, once per process
        gates._suite_and_batch("year_carry")
        gx_setup = time.perf_counter() - t
        t = time.perf_counter()
        quality = {y: gates.validate_report_batches(tables[y].cell_batches(GATE_BATCH_DOCUMENTS)) for y in years}
        batches = {y: _year_batch(tables[y], quality[y]) for y in years}
        out[f"validate_report_batches + rechoose (GX, {len(years)} years)"] = time.perf_counter() - t
        stage_of[f"validate_report_batches + rechoose (GX, {len(years)} years)"] = "gates"

        load_s = 0.0
        con = connect(work / "w.duckdb")
        for y in years:  # as assets/warehouse.py: ensure_schema + load_years, XY_CARRY inside its transaction
            t = time.perf_counter()
            ensure_schema(con)
            load_years(con, batches[y], check_carry=lambda cells: gates.validate_year_carry(cells).violations)
            load_s += time.perf_counter() - t
        con.close()
        out[f"DuckDB load + validate_year_carry (ensure_schema + load_years, {len(years)} years)"] = load_s

        # what the stages keep on disk, and what passes between the Dagster steps (pickled manifests)
        store = {"raw rows (Parquet)": _du(work / "raw"), "normalised rows (Parquet)": _du(work / "normalised"),
                 "cells (Parquet)": sum(_du(work / f"tables-{y}") for y in years)}
        pickled = {"RawStore": len(pickle.dumps(raw)), "NormalisedStore": len(pickle.dumps(norm)),
                   "YearTables (all years)": sum(len(pickle.dumps(t)) for t in tables.values())}
        rejected_count = len(norm.rejected) + sum(t.rejected.height for t in tables.values())
        documents = norm.documents.height

        extra: dict[str, tuple[str, float]] = {}
        if extra_workers:
            del raw, norm, tables, batches, quality
            gc.collect()
            from xxgk import parallel

            t = time.perf_counter()  # the forkserver (once per process) and a stage's workers
            list(parallel.run_tasks(os.getpid, [()] * extra_workers, extra_workers))
            extra[f"fork server + {extra_workers} workers start"] = ("pool", time.perf_counter() - t)
            t = time.perf_counter()  # what every further stage pays
            list(parallel.run_tasks(os.getpid, [()] * extra_workers, extra_workers))
            extra[f"{extra_workers} workers start and stop (each stage)"] = ("pool", time.perf_counter() - t)
            w = extra_workers
            t = time.perf_counter()
            raw2 = read_inbox(pdfs, work / "raw2", workers=w, verify_share=verify_share)
            extra[f"read_inbox ({w} workers)"] = ("read", time.perf_counter() - t)
            t = time.perf_counter()
            norm2 = normalise_store(raw2, work / "normalised2", workers=w)
            extra[f"normalise_store ({w} workers)"] = ("normalise", time.perf_counter() - t)
            t = time.perf_counter()
            for y in norm2.years:
                extract_store(norm2, y, work / f"tables2-{y}", workers=w)
            extra[f"extract_store ({w} workers)"] = ("extract", time.perf_counter() - t)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"stages": out, "stage_of": stage_of, "warm": warm_s, "gx_import": gx_import, "gx_setup": gx_setup, "n": n,
            "documents": documents, "rejected": rejected_count, "all_cells": all_cells, "years": years, "cells": cells,
            "extra": extra, "readers": readers, "reader_checks": reader_checks, "pdfplumber_pages": plumber_pages,
            "store_bytes": store, "pickled_bytes": pickled}


def pdfplumber_pages(manifest) -> tuple[int, int, int]:
    """(documents pdfplumber read, the pages it read, their pages) for the documents of a raw store's
    manifest whose reading used pdfplumber: read by it, or verified by it (verify_share). It reads
    page 1 and the table pages (xxgk.pdf.TABLE_PAGE on pdfium's text lines, as read_pdf does)."""
    import pypdfium2 as pdfium

    from xxgk.pdf import TABLE_PAGE
    from xxgk.pdf_layout import gap_lines, pdfium_page_words

    docs = pages = wanted = 0
    for row in manifest.iter_rows(named=True):
        reader, why = row["reader"] or "", row["reader_check"] or ""
        if not (reader.startswith("pdfplumber") or "verified" in why or "verification" in why):
            continue
        docs += 1
        pdf = pdfium.PdfDocument(row["source_file"])
        try:
            for i in range(len(pdf)):
                page = pdf[i]
                text = "\n".join(" ".join(cells) for _, cells in gap_lines(pdfium_page_words(page)))
                page.close()
                pages += 1
                wanted += i == 0 or bool(TABLE_PAGE.search(text))
        finally:
            pdf.close()
    return docs, wanted, pages


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


def profile(pdfs: list[Path], verify_share: float, top: int = 15) -> None:
    from xxgk.extract.year import extract_store
    from xxgk.inbox import read_inbox
    from xxgk.normalise import normalise_store

    work = Path(tempfile.mkdtemp(prefix="xxgk-bench-profile-"))
    try:
        # warm the imports and caches so the profile shows the work, not module loading
        warm = normalise_store(read_inbox(pdfs[:2], work / "w" / "raw", verify_share=1.0), work / "w" / "norm")
        for y in warm.years:
            extract_store(warm, y, work / "w" / f"t{y}")

        prof = cProfile.Profile()
        timings = {}
        prof.enable()
        t = time.perf_counter()
        raw = read_inbox(pdfs, work / "raw", workers=1, verify_share=verify_share)
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        norm = normalise_store(raw, work / "normalised", workers=1)
        timings["normalise"] = time.perf_counter() - t
        t = time.perf_counter()
        for y in norm.years:
            extract_store(norm, y, work / f"tables-{y}", workers=1)
        timings["extract"] = time.perf_counter() - t
        prof.disable()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(timings.values())
    say(f"\n== profile: read_inbox + normalise_store + extract_store, 1 process, {len(pdfs)} reports (under cProfile) ==")
    say("  readers: " + ", ".join(f"{r}: {k}" for r, k in raw.documents.group_by("reader").len().sort("reader").rows()))
    say("  " + ", ".join(f"{k} {v:.2f} s ({v / len(pdfs) * 1000:.0f} ms/report)" for k, v in timings.items())
        + f"; total {total:.2f} s = {total / len(pdfs) * 1000:.0f} ms/report")
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    say(f"  top {top} by cumulative time:")
    say("\n".join("    " + l for l in buf.getvalue().splitlines() if l.strip() and not l.startswith("   Ordered")))

    # self time by library: where the seconds actually burn
    by_lib: dict[str, float] = defaultdict(float)
    raw_stats = pstats.Stats(prof).stats  # (file, line, func) -> (cc, nc, tottime, cumtime, callers)
    for (filename, _, func), (_, _, tottime, _, _) in raw_stats.items():
        by_lib[_library(filename, func)] += tottime
    grand = sum(by_lib.values())
    say("  self time by library (sum of tottime):")
    for lib, secs in sorted(by_lib.items(), key=lambda kv: -kv[1])[:12]:
        say(f"    {lib:<34} {secs:6.2f} s  {secs / grand:5.1%}   {secs / len(pdfs) * 1000:5.0f} ms/report")

    # the calls that matter, inclusive time (max over same-named functions)
    say("  inclusive time of the key calls:")
    wanted = {("documents.py", "read_document"): "read_document (one file, all of it)",
              ("pdf.py", "read_pdf"): "  read_pdf",
              ("pdf_layout.py", "pdfium_page_words"): "    pdfium words of every page",
              ("pdf_layout.py", "pdfium_page_chars"): "      pdfium_page_chars",
              ("pdf_layout.py", "words_from_chars"): "      words_from_chars",
              ("pdf_layout.py", "gap_lines"): "    gap_lines (words -> cells)",
              ("pdf.py", "_page_objects"): "    _page_objects (fonts embedded? images?)",
              ("ocr.py", "page_needs_ocr"): "    page_needs_ocr",
              ("trust.py", "reading_facts"): "    reading_facts (normalise + extract the reading)",
              ("pdf.py", "reading_differences"): "    reading_differences (verify_share)",
              ("pdf.py", "_reference_rows"): "    pdfplumber (reference reader)",
              ("page.py", "find_tables"): "      find_tables",
              ("staging.py", "write_raw_rows"): "  write_raw_rows (Parquet)",
              ("staging.py", "read_rows"): "read_rows (Parquet -> dicts, normalise + extract)",
              ("normalise.py", "normalise_document"): "normalise_document (all calls, reading_facts' too)",
              ("normalise.py", "to_simplified"): "  OpenCC t2s",
              ("staging.py", "write_normalised_rows"): "write_normalised_rows (Parquet)",
              ("tables.py", "extract_report"): "extract_report (all calls, reading_facts' too)",
              ("year.py", "extract_documents"): "extract_documents (the extraction stage)",
              ("year.py", "version_differences"): "version_differences"}
    found: dict[str, float] = {}
    calls: dict[str, int] = {}
    for (filename, _, func), (_, nc, _, cumtime, _) in raw_stats.items():
        name = wanted.get((Path(filename).name, func))
        if name:
            found[name] = max(found.get(name, 0.0), cumtime)
            calls[name] = max(calls.get(name, 0), nc)
    for name in wanted.values():
        if name in found:
            say(f"    {name:<56} {found[name]:6.2f} s  {found[name] / total:5.1%}  ({calls[name]} calls)")
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
    parser.add_argument("--reports", type=int, default=DEFAULT_REPORTS, help=f"synthetic PDFs in the corpus (default {DEFAULT_REPORTS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="end-to-end runs per worker count (default 3); medians")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated (default 1,2)")
    parser.add_argument("--no-embed", action="store_true",
                        help="generate the corpus without embedding the CJK font (every PDF then goes to pdfplumber)")
    parser.add_argument("--verify-share", type=float, default=None,
                        help="XXGK_VERIFY_SHARE for the runs (default: the pipeline's, 0.02 unless set in the environment)")
    parser.add_argument("--memory-run", type=int, default=None, metavar="M",
                        help=f"also one end-to-end run with workers=2 on a corpus of M reports (e.g. {TARGET_MEMORY_AT}): peak memory MEASURED")
    parser.add_argument("--memory-only", action="store_true", help="with --memory-run: that run only, nothing else")
    parser.add_argument("--memory-workers", type=int, default=2, help="workers of the --memory-run (default 2)")
    parser.add_argument("--profile", action="store_true", help="also cProfile read+normalise+extract on ~50 reports")
    parser.add_argument("--profile-reports", type=int, default=50)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "xxgk-bench")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between /proc samples of the tree's memory")
    parser.add_argument("--no-scaling", action="store_true",
                        help="skip the runs on the first N/2 reports (per-report cost and memory, for extrapolation)")
    parser.add_argument("--skip-stages", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--quiet-wait", type=float, default=60,
                        help="before each measurement wait up to this many seconds for the shared machine to go quiet (default 60; 0: never)")
    parser.add_argument("--max-other-load", type=float, default=0.5,
                        help="redo a run during which the rest of the machine kept more cores than this busy (default 0.5)")
    parser.add_argument("--retries", type=int, default=2, help="at most this many redos per run (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep each run's DAGSTER_HOME, staging folder and warehouse")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.repeat < 1 or not workers:
        parser.error("need --repeat >= 1 and at least one worker count")
    if args.memory_only and not args.memory_run:
        parser.error("--memory-only needs --memory-run M")
    os.chdir(PROJECT_ROOT)
    started = time.perf_counter()
    # the share the pipeline verifies both ways (pipelines/resources.processing_from_env; not imported: Dagster)
    verify_share = args.verify_share if args.verify_share is not None else float(os.environ.get("XXGK_VERIFY_SHARE") or 0.02)

    say(f"xxgk throughput benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}; code fingerprint {code_fingerprint()}")
    say(f"memory: psutil is {'' if _has_psutil() else 'not '}installed; peak of the run's process tree sampled from "
        f"/proc every {args.poll} s (sum of RSS, and of PSS), and per run the largest single process "
        f"(getrusage RUSAGE_CHILDREN in a fresh wrapper)")
    say(f"PDF readers: pdfium kept when every font is embedded and the tables are complete, else pdfplumber; "
        f"XXGK_VERIFY_SHARE = {verify_share:g} of the PDFs read by both")

    def show(run: dict, label: str, count: int, check: dict | None) -> None:
        phases = ", ".join(f"{k.split(' (')[0]} {v:.1f}" for k, v in run["phases"].items())
        say(f"  {label}: wall {run['wall_s']:6.1f} s ({run['wall_s'] / count:.3f} s/report), CPU {run['cpu_s']:6.1f} s "
            f"({run['cpu_s'] / run['wall_s']:.2f} cores busy), peak tree RSS {mb(run['tree_rss_peak'])} / PSS {mb(run['tree_pss_peak'])}, "
            f"largest process {mb(run['largest_process_maxrss'])}, {run['max_procs']} processes"
            + (f"; cells {check['right']}/{check['total']}" if check else ""))
        flag = "  [STILL LOADED after retries]" if run["other_cores"] > args.max_other_load else ""
        if not run["subreaper"]:
            flag += "  [no subreaper: the workers' CPU is not counted, and counted as the rest of the machine's]"
        say(f"        phases (s): {phases};  rest of the machine: {run['other_cores']:.2f} cores busy, steal {run['steal_cores']:.2f}{flag}")
        say("        Dagster steps (s): " + ", ".join(f"{k} {v:.1f}" for k, v in run["steps"].items()))
        say("        peak tree RSS by phase: " + ", ".join(f"{k.split(' (')[0]} {mb(v)}" for k, v in run["phase_peak"].items()))
        if run.get("step_peak"):
            say("        peak tree RSS by Dagster step: " + ", ".join(f"{k} {mb(v)}" for k, v in run["step_peak"].items()))
        if run.get("peak_each"):
            by_role: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
            for role, r, p in run["peak_each"]:
                by_role[role][0] += 1
                by_role[role][1] += r
                by_role[role][2] += p
            say("        at the peak, RSS / PSS by process: " + "; ".join(
                f"{role}{f' x{n}' if n > 1 else ''} {mb(r)} / {mb(p)}" for role, (n, r, p) in
                sorted(by_role.items(), key=lambda kv: -kv[1][1])))

    def measured(inbox: Path, w: int, label: str) -> dict:
        """A run; redone (at most --retries times) when the rest of the machine kept more than
        --max-other-load cores busy meanwhile (the machine is shared)."""
        for attempt in range(args.retries + 1):
            run = run_end_to_end(inbox, w, args.poll, args.keep, args.quiet_wait, args.verify_share)
            if run["other_cores"] <= args.max_other_load or attempt == args.retries:
                run["attempts"] = attempt + 1
                return run
            say(f"  ({label}: discarded, the rest of the machine kept {run['other_cores']:.2f} cores busy; "
                f"wall {run['wall_s']:.1f} s; measuring again)")
            cleanup(run)
        raise AssertionError("unreachable")

    def describe(root: Path, pdfs: list[Path]) -> None:
        with open(root / "reports.csv", encoding="utf-8") as fh:
            meta = list(csv.DictReader(fh))
        pages = sum(int(r["pages"]) for r in meta)
        templates = defaultdict(int)
        for r in meta:
            templates[r["template"]] += 1
        say(f"        {len(pdfs)} reports ({', '.join(f'{v} x {k} template' for k, v in sorted(templates.items()))}), {pages} pages "
            f"({pages / len(pdfs):.1f} a report), {sum(p.stat().st_size for p in pdfs) / len(pdfs) / 1024:.0f} KB a report")

    def memory_run() -> dict:
        m, w = args.memory_run, args.memory_workers
        say(f"\n== memory: one end-to-end run on {m} reports, workers={w} ==")
        mroot, _ = corpus(m, args.seed, args.cache_dir, not args.no_embed)
        mpdfs = sorted((mroot / "inbox").glob("*.pdf"))
        describe(mroot, mpdfs)
        run = measured(mroot / "inbox", w, f"{m} reports, workers={w}")
        check = check_cells(run["warehouse"], mroot / "expected.csv")
        show(run, f"{m} reports, workers={w}", m, check)
        print_readers(check)
        if check["right"] != check["total"]:
            print_cell_check(check, f"{m} reports")
        cleanup(run)
        run.update(n=m, check=check)
        return run

    if args.memory_only:
        mrun = memory_run()
        say(f"\n  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={mrun['workers']}: MEASURED at {mrun['n']:,} reports: "
            f"tree RSS {mb(mrun['tree_rss_peak'])} (PSS {mb(mrun['tree_pss_peak'])}, largest process "
            f"{mb(mrun['largest_process_maxrss'])}) -> {mark(mrun['tree_rss_peak'] < TARGET_MEMORY_BYTES)}"
            + ("" if mrun["n"] >= TARGET_MEMORY_AT else f" (at {mrun['n']:,}, fewer than {TARGET_MEMORY_AT:,})"))
        say(f"    wall {mrun['wall_s']:.1f} s = {mrun['n'] / mrun['wall_s'] * 3600 / mrun['workers']:,.0f} reports/hour/core; "
            f"cells right {mrun['check']['right']} / {mrun['check']['total']}")
        say(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
        return 0

    root, font_text = corpus(args.reports, args.seed, args.cache_dir, not args.no_embed)
    pdfs = sorted((root / "inbox").glob("*.pdf"))
    n = len(pdfs)
    describe(root, pdfs)

    # --- 2 + 3. end to end, and the cells
    say(f"\n== end to end: python -m pipelines.cli run, {args.repeat} x workers {workers} (order ABBA...) ==")
    runs: dict[int, list[dict]] = {w: [] for w in workers}
    checks = []
    printed_checks: set[int] = set()
    readers_seen: set[str] = set()

    for r in range(args.repeat):
        for w in (workers if r % 2 == 0 else list(reversed(workers))):
            run = measured(root / "inbox", w, f"run {r + 1} workers={w}")
            check = check_cells(run["warehouse"], root / "expected.csv")
            checks.append(check)
            runs[w].append(run)
            show(run, f"run {r + 1} workers={w}", n, check)
            if r == 0 and w == workers[0]:
                say(f"        {run['inbox_line']}")
            if readers_text(check["readers"]) not in readers_seen:  # printed once, and again if a run differs
                print_readers(check)
                readers_seen.add(readers_text(check["readers"]))
            if check["right"] != check["total"] and check["right"] not in printed_checks:
                print_cell_check(check, f"run {r + 1}, workers={w}")
                printed_checks.add(check["right"])
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
                run = measured(inbox, w, f"{len(half)} reports, workers={w}")
                cleanup(run)
                half_runs[w] = run
                show(run, f"  {len(half)} reports, workers={w}", len(half), None)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    n_half = n // 2

    # --- 4. stages
    stages = None
    if not args.skip_stages:
        extra_w = max(workers) if max(workers) > 1 else None
        say(f"\n== stages, in process, the same {n} files: the stage functions of the assets, 1 worker"
            + (f", then read/normalise/extract with {extra_w} workers ==" if extra_w else " =="))
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        stages = stage_timings(pdfs, extra_w, root / "expected.csv", verify_share)
        say(f"  {stages['documents']} reports, {stages['rejected']} rejected, years {stages['years']}, {stages['cells']} cells extracted")
        say("  readers (raw store): " + ", ".join(f"{r}: {k}" for r, k in stages["readers"]))
        for reader, why, k in stages["reader_checks"][:6]:
            say(f"    {k:6d}  {reader:<16} {why[:110]}")
        pd, pw, pt = stages["pdfplumber_pages"]
        say(f"  pdfplumber read {pd} of {n} documents (fallback or verification): {pw} of their {pt} pages (page 1 + table pages)")
        ac = stages["all_cells"]
        say(f"  cells right, in process, every document (superseded versions too): {ac['right']} / {ac['total']}")
        if ac["wrong"].height:
            for r in ac["wrong"].head(10).iter_rows(named=True):
                say(f"    {r['file']}  {r['category_code']}  {r['applicant_type'] or '-'}  {r['measure']}: expected {r['printed']!r}, got "
                    + ("nothing" if r["got_printed"] is None else f"{r['got_printed']!r} ({r['got_value']})"))
        total = sum(stages["stages"].values())
        for name, secs in stages["stages"].items():
            say(f"  {name:<62} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report  {secs / total:5.1%}")
        say(f"  {'sum':<62} {total:7.2f} s  {total / n * 1000:7.1f} ms/report")
        say(f"  GX import (import great_expectations, once per process)       {stages['gx_import']:7.2f} s")
        say(f"  GX ephemeral context + 2 suites (once per process)             {stages['gx_setup']:7.2f} s")
        say(f"  warm-up before the clock (imports, 2 reports read both ways)   {stages['warm']:7.2f} s")
        one = {stages["stage_of"].get(k, k): v for k, v in stages["stages"].items()}
        for name, (stage, secs) in stages["extra"].items():
            speed = f"  (speed-up {one[stage] / secs:.2f}x over 1 worker)" if stage in one else ""
            say(f"  {name:<62} {secs:7.2f} s  {secs / n * 1000:7.1f} ms/report{speed}")
        say("  on disk per report: " + ", ".join(f"{k} {v / n / 1024:.1f} KB" for k, v in stages["store_bytes"].items())
            + "; pickled between Dagster steps: " + ", ".join(f"{k} {v / n:.0f} B" for k, v in stages["pickled_bytes"].items()))

    # --- 5. baseline
    base = None
    if not args.skip_baseline:
        say(f"\n== naive baseline: pdfplumber.open(path) + page.extract_tables() on every page, 1 process, the same {n} files ==")
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        busy0, _ = cpu_ticks()
        base = naive_baseline(pdfs)
        base["other_cores"] = max(0.0, (cpu_ticks()[0] - busy0) - base["seconds"]) / base["seconds"]
        say(f"  {base['seconds']:.1f} s = {base['seconds'] / n:.3f} s/report ({base['pages']} pages, {base['tables']} tables found); "
            f"rest of the machine ~{base['other_cores']:.2f} cores busy")

    # --- 7. memory, measured
    mrun = memory_run() if args.memory_run else None

    # --- 6. summary
    keys = ("wall_s", "cpu_s", "tree_rss_peak", "tree_pss_peak", "largest_process_maxrss", "other_cores")
    med = {w: {k: median([r[k] for r in runs[w]]) for k in keys} for w in workers}
    phase_names = list(runs[workers[0]][0]["phases"])
    step_names = list(dict.fromkeys(k for w in workers for r in runs[w] for k in r["steps"]))
    marginal = {w: (med[w]["wall_s"] - half_runs[w]["wall_s"]) / (n - n_half) for w in half_runs}
    say(f"\n== summary: {n} synthetic text-layer reports ({font_text}), medians of {args.repeat} runs ==")
    say(f"  {'':<44}" + "".join(f"{f'workers={w}':>18}" for w in workers))
    rows = [
        ("wall time (s)", lambda w: f"{med[w]['wall_s']:.1f}"),
        ("  each run (s)", lambda w: " ".join(f"{r['wall_s']:.1f}" for r in runs[w])),
        ("  fastest run (s) (least disturbed)", lambda w: f"{min(r['wall_s'] for r in runs[w]):.1f}"),
        *[(f"  {p.split(' (')[0]} (s)", (lambda p: lambda w: f"{median([r['phases'].get(p, float('nan')) for r in runs[w]]):.1f}")(p))
          for p in phase_names],
        ("    first year job (GX import) (s)", lambda w: f"{median([r['year_times'][0] for r in runs[w] if r['year_times']]):.1f}"),
        ("    each later year job (s)", lambda w: f"{median([t for r in runs[w] for t in r['year_times'][1:]]):.1f}"),
        ("  time per Dagster step (s, all years):", lambda w: ""),
        *[(f"    {s_}", (lambda s_: lambda w: f"{median([r['steps'].get(s_, 0.0) for r in runs[w]]):.1f}")(s_)) for s_ in step_names],
        ("s per report (wall / N)", lambda w: f"{med[w]['wall_s'] / n:.3f}"),
        ("core-s per report (wall x workers / N)", lambda w: f"{med[w]['wall_s'] * w / n:.3f}"),
        ("CPU s per report (all processes)", lambda w: f"{med[w]['cpu_s'] / n:.3f}"),
        ("reports/hour", lambda w: f"{n / med[w]['wall_s'] * 3600:,.0f}"),
        ("reports/hour per core", lambda w: f"{n / med[w]['wall_s'] * 3600 / w:,.0f}"),
        ("reports per CPU-hour (N / CPU s)", lambda w: f"{n / med[w]['cpu_s'] * 3600:,.0f}"),
    ]
    if half_runs:
        rows += [
            (f"marginal s/report ({n_half}->{n} reports)", lambda w: f"{marginal[w]:.3f}" if w in marginal else "-"),
            ("  -> reports/hour per core", lambda w: f"{3600 / marginal[w] / w:,.0f}" if w in marginal and marginal[w] > 0 else "-"),
            ("fixed cost per run (s)", lambda w: f"{med[w]['wall_s'] - marginal[w] * n:.1f}" if w in marginal else "-"),
        ]
    rows += [
        ("peak memory, tree RSS", lambda w: mb(med[w]["tree_rss_peak"])),
        *[(f"  in {p.split(' (')[0]}", (lambda p: lambda w: mb(median([r['phase_peak'].get(p, 0) for r in runs[w]])))(p))
          for p in phase_names],
        ("peak memory, tree PSS", lambda w: mb(med[w]["tree_pss_peak"])),
        ("peak memory, largest process", lambda w: mb(med[w]["largest_process_maxrss"])),
        ("staging stores on disk (MB)", lambda w: f"{median([r['staging_bytes'] for r in runs[w]]) / 2**20:.1f}"),
        ("Dagster IO manager pickles (KB)", lambda w: f"{median([sum(r['io_manager_bytes'].values()) for r in runs[w]]) / 1024:.0f}"),
        ("rest of machine busy (cores)", lambda w: f"{med[w]['other_cores']:.2f}"),
    ]
    if base:
        rows.append(("naive baseline / pipeline (s/report)", lambda w: f"{base['seconds'] / med[w]['wall_s']:.2f}x"))
    for label, fn in rows:
        say(f"  {label:<44}" + "".join(f"{fn(w):>18}" for w in workers))
    if base:
        say(f"  naive baseline: {base['seconds'] / n:.3f} s/report (1 process)")
    say(f"  documents by reader (dim_document): {readers_text(checks[0]['readers'])}"
        + ("" if len(readers_seen) == 1 else f"  [runs differ: {' | '.join(sorted(readers_seen))}]"))

    say("\n  targets:")
    for w in workers:
        rate = n / med[w]["wall_s"] * 3600 / w
        say(f"  - ≥ {TARGET_REPORTS_PER_HOUR_PER_CORE:,} text-layer reports/hour/core (≤ {TARGET_S_PER_REPORT} s/report), end to end, "
            f"workers={w}{f' (divided by {w})' if w > 1 else ''}: {rate:,.0f}/h/core = {med[w]['wall_s'] * w / n:.3f} core-s/report "
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
            ing = stages["stages"][READ1]
            say(f"      reading alone (read_inbox, in process, 1 worker): {ing / n:.3f} s/report -> {base['seconds'] / ing:.2f}x the baseline")
    if 1 in workers and 2 in workers:
        sp = med[1]["wall_s"] / med[2]["wall_s"]
        say(f"  - ≥ {TARGET_SPEEDUP}x speed-up 1 -> 2 workers, end to end: {sp:.2f}x (medians; pairs of runs: "
            + ", ".join(f"{a['wall_s'] / b['wall_s']:.2f}x" for a, b in zip(runs[1], runs[2])) + f") -> {mark(sp >= TARGET_SPEEDUP)}")
        if 1 in marginal and 2 in marginal and marginal[2] > 0:
            say(f"      marginal per-report cost: {marginal[1] / marginal[2]:.2f}x")
        if stages and stages["extra"]:
            one = {stages["stage_of"].get(k, k): v for k, v in stages["stages"].items()}
            parts = [f"{stage} {one[stage] / secs:.2f}x" for _, (stage, secs) in stages["extra"].items() if stage in one]
            pool = [secs for _, (stage, secs) in stages["extra"].items() if stage == "pool"]
            say("      in process, stage by stage: " + ", ".join(parts)
                + (f" (fork server + workers start {pool[0]:.2f} s once per process, workers {pool[-1]:.2f} s each stage:"
                   " in the stage times)" if pool else ""))
    for w in workers:
        peak, pss = med[w]["tree_rss_peak"], med[w]["tree_pss_peak"]
        head = f"  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={w}:"
        if n >= TARGET_MEMORY_AT:
            say(f"{head} MEASURED at {n:,}: tree RSS {mb(peak)} (PSS {mb(pss)}) -> {mark(peak < TARGET_MEMORY_BYTES)}")
        elif w in half_runs:
            slope = (peak - half_runs[w]["tree_rss_peak"]) / (n - n_half)
            slope_pss = (pss - half_runs[w]["tree_pss_peak"]) / (n - n_half)
            est = peak + max(slope, 0) * (TARGET_MEMORY_AT - n)
            est_pss = pss + max(slope_pss, 0) * (TARGET_MEMORY_AT - n)
            say(f"{head} EXTRAPOLATED, not measured: tree RSS {mb(half_runs[w]['tree_rss_peak'])} at {n_half}, {mb(peak)} at {n} reports "
                f"-> {slope / 1024:,.1f} KB/report -> ~{est / 2**30:.2f} GB at {TARGET_MEMORY_AT:,} (PSS: ~{est_pss / 2**30:.2f} GB) "
                f"-> {mark(est < TARGET_MEMORY_BYTES)} (linear extrapolation from {n} reports)")
            say(f"      (the two peaks differ by {(peak - half_runs[w]['tree_rss_peak']) / 2**20:+,.0f} MB, PSS "
                f"{(pss - half_runs[w]['tree_pss_peak']) / 2**20:+,.0f} MB: one run each, so a difference of a few tens of MB "
                f"is run-to-run noise, multiplied by {(TARGET_MEMORY_AT - n) / (n - n_half):,.0f} here; --memory-run measures)")
        else:
            say(f"{head} tree RSS {mb(peak)} at {n} reports; no scaling run, cannot extrapolate -> n/a")
    if mrun:
        say(f"  - peak memory < 1 GB for {TARGET_MEMORY_AT:,} reports, workers={mrun['workers']}: MEASURED at {mrun['n']:,} reports: "
            f"tree RSS {mb(mrun['tree_rss_peak'])} (PSS {mb(mrun['tree_pss_peak'])}, largest process "
            f"{mb(mrun['largest_process_maxrss'])}) -> {mark(mrun['tree_rss_peak'] < TARGET_MEMORY_BYTES)}"
            + ("" if mrun["n"] >= TARGET_MEMORY_AT else f" (at {mrun['n']:,}, fewer than {TARGET_MEMORY_AT:,})"))
        say(f"      that run: wall {mrun['wall_s']:.1f} s = {mrun['n'] / mrun['wall_s'] * 3600 / mrun['workers']:,.0f} reports/hour/core; "
            f"cells right {mrun['check']['right']} / {mrun['check']['total']}")
    elif n < TARGET_MEMORY_AT:
        say(f"      (not measured at {TARGET_MEMORY_AT:,}: add --memory-run {TARGET_MEMORY_AT} for one measured run)")
    worst = min(checks, key=lambda c: c["right"])
    say(f"  - 100% of generated cells right, in v_disclosure_facts: {worst['right']} / {worst['total']} (worst of {len(checks)} runs) -> "
        f"{mark(all(c['right'] == c['total'] for c in checks))}")
    if worst["superseded_cells"]:
        say(f"      the {worst['superseded_cells']} missing cells are those of {worst['superseded_files'].height} superseded second reports of an "
            f"agency-year (one document per agency-year, by design); of the documents loaded: "
            f"{worst['loaded_right']} / {worst['loaded_total']} -> {mark(worst['loaded_right'] == worst['loaded_total'])}")
    if stages:
        ac = stages["all_cells"]
        say(f"      extraction of every document, in process (superseded ones too): {ac['right']} / {ac['total']} -> "
            f"{mark(ac['right'] == ac['total'])}")

    if args.profile:
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        profile(pdfs[: min(args.profile_reports, n)], verify_share)
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
