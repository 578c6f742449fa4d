"""`python -m benchmarks.throughput`: the throughput benchmark's command (the package's docstring says what it does)."""
from __future__ import annotations

import sys
from pathlib import Path

if str(Path(__file__).resolve().parents[2]) not in sys.path:  # `python benchmarks/throughput` as well as `-m`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from benchmarks.throughput import __doc__ as DOC  # noqa: E402
from benchmarks.throughput.cells import check_cells, print_cell_check, print_readers, readers_text  # noqa: E402
from benchmarks.throughput.common import (  # noqa: E402
    DEFAULT_REPORTS,
    PROJECT_ROOT,
    TARGET_MEMORY_AT,
    TARGET_MEMORY_BYTES,
    _has_psutil,
    code_fingerprint,
    mark,
    mb,
    say,
)
from benchmarks.throughput.corpus import corpus, sub_inbox  # noqa: E402
from benchmarks.throughput.profiling import profile  # noqa: E402
from benchmarks.throughput.report import describe, print_stages, print_summary, show  # noqa: E402
from benchmarks.throughput.runs import cleanup, cpu_ticks, run_end_to_end, wait_for_quiet  # noqa: E402
from benchmarks.throughput.stages import naive_baseline, stage_timings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=DOC.splitlines()[0])
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
    # the share the pipeline verifies both ways (ProcessingResource.verify_share in assets/resources.py; not imported: Dagster)
    verify_share = args.verify_share if args.verify_share is not None else float(os.environ.get("XXGK_VERIFY_SHARE") or 0.02)

    say(f"xxgk throughput benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}; code fingerprint {code_fingerprint()}")
    say(f"memory: psutil is {'' if _has_psutil() else 'not '}installed; peak of the run's process tree sampled from "
        f"/proc every {args.poll} s (sum of RSS, and of PSS), and per run the largest single process "
        f"(getrusage RUSAGE_CHILDREN in a fresh wrapper)")
    say(f"PDF readers: pdfium kept when every font is embedded and the tables are complete, else pdfplumber; "
        f"XXGK_VERIFY_SHARE = {verify_share:g} of the PDFs read by both")

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

    def memory_run() -> dict:
        m, w = args.memory_run, args.memory_workers
        say(f"\n== memory: one end-to-end run on {m} reports, workers={w} ==")
        mroot, _ = corpus(m, args.seed, args.cache_dir, not args.no_embed)
        mpdfs = sorted((mroot / "inbox").glob("*.pdf"))
        describe(mroot, mpdfs)
        run = measured(mroot / "inbox", w, f"{m} reports, workers={w}")
        check = check_cells(run["warehouse"], mroot / "expected.csv")
        show(run, f"{m} reports, workers={w}", m, check, args.max_other_load)
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
            show(run, f"run {r + 1} workers={w}", n, check, args.max_other_load)
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
                show(run, f"  {len(half)} reports, workers={w}", len(half), None, args.max_other_load)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # --- 4. stages
    stages = None
    if not args.skip_stages:
        extra_w = max(workers) if max(workers) > 1 else None
        say(f"\n== stages, in process, the same {n} files: the stage functions of the assets, 1 worker"
            + (f", then read/normalise/extract with {extra_w} workers ==" if extra_w else " =="))
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        stages = stage_timings(pdfs, extra_w, root / "expected.csv", verify_share)
        print_stages(stages, n)

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

    print_summary(n, font_text, args.repeat, workers, runs, half_runs, checks, readers_seen, stages, base, mrun)

    if args.profile:
        if args.quiet_wait:
            wait_for_quiet(args.quiet_wait)
        profile(pdfs[: min(args.profile_reports, n)], verify_share)
    say(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
