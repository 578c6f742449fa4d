"""What `xxgk run` costs beyond the PDFs it reads: one report, the same inbox again, a late
file, and 200 reports, each against a plain pdfplumber process on the same files.

    .venv/bin/python -m benchmarks.fixed_cost [--repeat 3] [--reports 200] [--skip-corpus] [--baseline DIR]

Prints figures and their ratios, measured side by side in one run; asserts nothing (a
benchmark, not a test). Every pipeline run is `python -m pipelines.cli run` as a subprocess
with the default settings (Data Docs and the overview on, XXGK_WORKERS one per core,
XXGK_VERIFY_SHARE 0.02), a Dagster home of its own (dagster.yaml copied, the instance
created before the clock starts) and its warehouse, staging and archive in a temporary
folder. "plain" is a fresh `python` process that opens the PDF with pdfplumber and calls
``extract_tables()`` on every page: what a user would write by hand.

1. one report into a new warehouse: xxgk/samples/hongze-2024.pdf alone in an inbox
   (target: <= 5 s, <= 8x plain on the same file);
2. the same inbox again, nothing changed (target: <= 2 s, <= 3x plain);
   1 and 2 are repeated --repeat times, alternating with plain, each pair in a new folder;
3. --reports synthetic real-layout PDFs (tests/fixtures/synthetic.py, the CJK font embedded
   as published PDFs have it; cached under $TMPDIR/xxgk-bench/) end to end into a new
   warehouse, the pipeline with 2 workers against plain pdfplumber over the same files in one
   process on one core (target: plain / pipeline >= 3x);
4. one late file (the corpus's next report) added to that inbox, run again (target: <= 10x
   plain on the late file).

--baseline DIR: a source tree of another version (e.g. `git worktree add DIR <commit>`, or
`git archive <commit> | tar -x -C DIR`) run the same way, alternating with this one in every
scenario (its code imported from DIR, the same virtualenv): before and after, side by side.

For each pipeline run: wall and CPU time (the whole process tree, reaped by
benchmarks/_rusage_wrapper.py) and the Dagster steps that took longest (from the run's event
log). The header says whether the interpreter may write bytecode caches
(PYTHONDONTWRITEBYTECODE): without them every process compiles every module it imports.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.throughput.common import PY, WRAPPER, code_fingerprint, say  # noqa: E402
from benchmarks.throughput.runs import dagster_steps, step_windows  # noqa: E402

SAMPLE = PROJECT_ROOT / "xxgk" / "samples" / "hongze-2024.pdf"
TARGETS = {"first": (5.0, 8.0), "again": (2.0, 3.0), "late": (None, 10.0)}
TARGET_CORPUS_RATIO = 3.0

PLAIN = """
import sys, pdfplumber
tables = 0
for path in sys.argv[1:]:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            tables += len(page.extract_tables())
print(tables)
"""


def _wrapped(cmd: list[str], env: dict, tmp: Path, cwd: Path = PROJECT_ROOT) -> dict:
    """Run `cmd` under the rusage wrapper: wall, CPU of the whole tree, rc, stdout lines."""
    files = [tmp / f".{name}" for name in ("result.json", "lines.json", "stderr.log")]
    subprocess.run([PY, str(WRAPPER), *map(str, files), "--", *cmd], env=env, cwd=cwd, check=True)
    result = json.loads(files[0].read_text())
    lines = [line for _, line in json.loads(files[1].read_text())]
    stderr = files[2].read_text(errors="replace")
    for f in files:
        f.unlink()
    return {"wall": result["wall_s"], "cpu": result["user_s"] + result["sys_s"], "rc": result["rc"],
            "lines": lines, "stderr": stderr}


def plain(pdfs: list[Path], tmp: Path) -> dict:
    """A fresh python process: pdfplumber.open + extract_tables() on every page of `pdfs`."""
    run = _wrapped([PY, "-c", PLAIN, *map(str, pdfs)], dict(os.environ), tmp)
    if run["rc"] != 0:
        raise RuntimeError(f"plain pdfplumber failed: {run['stderr'][-2000:]}")
    return run


class Folder:
    """A Dagster home, warehouse, staging and archive of their own, for one series of runs."""

    def __init__(self, inbox: Path, workers: int | None = None, tree: Path = PROJECT_ROOT):
        self.tree = tree
        self.tmp = Path(tempfile.mkdtemp(prefix="xxgk-fixed-cost-"))
        home = self.tmp / "home"
        home.mkdir()
        shutil.copy(tree / "dagster.yaml", home / "dagster.yaml")
        self.home = home
        self.env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox),
                    "XXGK_WAREHOUSE": str(self.tmp / "w" / "xxgk.duckdb"), "PYTHONUNBUFFERED": "1"}
        for name in ("XXGK_STAGING", "XXGK_DATA_DOCS", "XXGK_OVERVIEW", "XXGK_ARCHIVE", "XXGK_DATA_DOCS_ENABLED"):
            self.env.pop(name, None)  # beside the warehouse, as by default
        if workers:
            self.env["XXGK_WORKERS"] = str(workers)
        (self.tmp / "w").mkdir()
        # the instance's SQLite files exist before the clock starts, as in any home used before
        subprocess.run([PY, "-c", "from dagster import DagsterInstance; DagsterInstance.get()"], env=self.env,
                       cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def run(self) -> dict:
        since = time.time()
        run = _wrapped([PY, "-m", "pipelines.cli", "run"], self.env, self.tmp, cwd=self.tree)
        if run["rc"] != 0:
            say("\n".join(run["lines"][-20:]))
            say(run["stderr"][-3000:])
            raise RuntimeError(f"`xxgk run` exited with {run['rc']}; files kept in {self.tmp}")
        run["steps"] = dagster_steps([w for w in step_windows(self.home) if w[1] >= since])  # this run's steps only
        return run

    def close(self, keep: bool = False) -> None:
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _steps_line(runs: list[dict], top: int = 6) -> str:
    steps: dict[str, list[float]] = {}
    for r in runs:
        for step, seconds in r["steps"].items():
            steps.setdefault(step.split("[")[0], []).append(seconds)
    ranked = sorted(((statistics.median(v), k) for k, v in steps.items()), reverse=True)[:top]
    return ", ".join(f"{k} {s:.2f}" for s, k in ranked) or "no Dagster step ran"


def _verdict(value: float, target: float | None, unit: str = "", lower_is_better: bool = True) -> str:
    if target is None:
        return ""
    ok = value <= target if lower_is_better else value >= target
    return f"(target {'<=' if lower_is_better else '>='} {target:g}{unit}: {'MET' if ok else 'NOT MET'})"


def _walls(runs: list[dict]) -> str:
    return ", ".join(f"{r['wall']:.2f}" for r in runs)


def _row(name: str, runs: list[dict], base: float, target: tuple[float | None, float]) -> None:
    wall, cpu = _median(runs, "wall"), _median(runs, "cpu")
    seconds, ratio = target
    say(f"  {name:<40} wall {wall:6.2f} s {_verdict(wall, seconds, ' s'):<24} "
        f"cpu {cpu:6.2f} s   {wall / base:5.1f}x plain {_verdict(wall / base, ratio, 'x')}")
    say(f"  {'':<40} all walls: {_walls(runs)}; steps (median s): {_steps_line(runs)}")


def _side_by_side(trees: list[tuple[str, Path]], runs: dict[str, list[dict]]) -> None:
    if len(trees) > 1:
        (a, _), (b, _) = trees[:2]
        say(f"  {'':<40} {b} / {a}: wall {_median(runs[b], 'wall') / _median(runs[a], 'wall'):.2f}, "
            f"cpu {_median(runs[b], 'cpu') / _median(runs[a], 'cpu'):.2f}")


def one_report(repeat: int, keep: bool, trees: list[tuple[str, Path]]) -> None:
    say(f"\n== one report ({SAMPLE.name}): a new warehouse, then the same inbox again; {repeat} rounds, "
        f"alternating with plain{' and between ' + ' and '.join(t for t, _ in trees) if len(trees) > 1 else ''} ==")
    inbox = Path(tempfile.mkdtemp(prefix="xxgk-fixed-cost-inbox-"))
    shutil.copy(SAMPLE, inbox / SAMPLE.name)
    plains: list[dict] = []
    firsts: dict[str, list[dict]] = {label: [] for label, _ in trees}
    agains: dict[str, list[dict]] = {label: [] for label, _ in trees}
    last_said: dict[str, list[str]] = {}
    try:
        for n in range(repeat):
            order = trees if n % 2 == 0 else trees[::-1]  # ABBA: neither always runs first
            for label, tree in order:
                plains.append(plain([SAMPLE], inbox.parent))
                folder = Folder(inbox, tree=tree)
                try:
                    firsts[label].append(folder.run())
                    agains[label].append(folder.run())
                    last_said[label] = agains[label][-1]["lines"]
                finally:
                    folder.close(keep)
                say(f"  round {n + 1}, {label}: plain {plains[-1]['wall']:.2f} s, first {firsts[label][-1]['wall']:.2f} s, "
                    f"again {agains[label][-1]['wall']:.2f} s")
    finally:
        shutil.rmtree(inbox, ignore_errors=True)
    base = _median(plains, "wall")
    say(f"  {'plain pdfplumber process':<40} wall {base:6.2f} s {'':<24} cpu {_median(plains, 'cpu'):6.2f} s   "
        f"(all: {_walls(plains)})")
    for label, _ in trees:
        _row(f"{label}: xxgk run, a new warehouse", firsts[label], base, TARGETS["first"])
    _side_by_side(trees, firsts)
    for label, _ in trees:
        _row(f"{label}: xxgk run, the same inbox again", agains[label], base, TARGETS["again"])
    _side_by_side(trees, agains)
    for label, _ in trees:
        say(f"  what the second run printed ({label}):")
        for line in last_said[label][:4]:
            say(f"    | {line}")


def corpus_runs(reports: int, keep: bool, trees: list[tuple[str, Path]], repeat: int = 1) -> None:
    from benchmarks.throughput.corpus import corpus

    folder_, font = corpus(reports + 1, 0, Path(tempfile.gettempdir()) / "xxgk-bench")
    pdfs = sorted((folder_ / "inbox").glob("*.pdf"))
    first, late_pdf = pdfs[:reports], pdfs[reports]
    say(f"\n== {reports} synthetic real-layout PDFs ({font}): end to end, 2 workers, against plain pdfplumber "
        "in one process; then one late file ==")
    plains, late_plains = [], []
    loads: dict[str, list[dict]] = {label: [] for label, _ in trees}
    lates: dict[str, list[dict]] = {label: [] for label, _ in trees}
    rounds = [(n, label, tree) for n in range(repeat) for label, tree in (trees if n % 2 == 0 else trees[::-1])]
    for n, label, tree in rounds:
        inbox = Path(tempfile.mkdtemp(prefix="xxgk-fixed-cost-corpus-"))
        for p in first:
            os.link(p, inbox / p.name) if _same_device(p, inbox) else shutil.copy(p, inbox / p.name)
        folder = Folder(inbox, workers=2, tree=tree)
        try:
            plains.append(plain(first, inbox.parent))
            loads[label].append(folder.run())
            shutil.copy(late_pdf, inbox / late_pdf.name)
            late_plains.append(plain([late_pdf], inbox.parent))
            lates[label].append(folder.run())
        finally:
            folder.close(keep)
            shutil.rmtree(inbox, ignore_errors=True)
        say(f"  round {n + 1}, {label}: plain {plains[-1]['wall']:.2f} s, {reports} reports {loads[label][-1]['wall']:.2f} s, "
            f"late file {lates[label][-1]['wall']:.2f} s (plain {late_plains[-1]['wall']:.2f} s)")
    plain_all = _median(plains, "wall")
    say(f"  {'plain pdfplumber, 1 process':<40} wall {plain_all:6.2f} s (runs {_walls(plains)}), "
        f"{plain_all / reports:.3f} s a report")
    for label, _ in trees:
        wall, cpu = _median(loads[label], "wall"), _median(loads[label], "cpu")
        ratio = plain_all / wall
        say(f"  {f'{label}: xxgk run, {reports} reports, 2 workers':<40} wall {wall:6.2f} s   cpu {cpu:6.2f} s   "
            f"plain / pipeline = {ratio:.2f}x {_verdict(ratio, TARGET_CORPUS_RATIO, 'x', lower_is_better=False)}")
        say(f"  {'':<40} all walls: {_walls(loads[label])}; steps (median s): {_steps_line(loads[label], top=8)}")
    _side_by_side(trees, loads)
    late_base = _median(late_plains, "wall")
    say(f"  {'plain pdfplumber, the late file':<40} wall {late_base:6.2f} s (runs {_walls(late_plains)})")
    for label, _ in trees:
        _row(f"{label}: xxgk run, 1 late file + {reports}", lates[label], late_base, TARGETS["late"])
    _side_by_side(trees, lates)
    for label, _ in trees:
        say(f"  what the late run printed ({label}):")
        for line in lates[label][-1]["lines"][:5]:
            say(f"    | {line}")


def _same_device(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the one-report runs (default 3)")
    parser.add_argument("--reports", type=int, default=200, help="reports in the corpus runs (default 200)")
    parser.add_argument("--skip-corpus", action="store_true", help="the one-report runs only")
    parser.add_argument("--skip-one-report", action="store_true", help="the corpus runs only")
    parser.add_argument("--corpus-repeat", type=int, default=1, help="rounds of the corpus runs (default 1)")
    parser.add_argument("--keep", action="store_true", help="keep the runs' folders")
    parser.add_argument("--baseline", type=Path, help="another version's source tree, run alternately ('before')")
    args = parser.parse_args(argv)
    trees = [("this tree", PROJECT_ROOT)]
    if args.baseline:
        trees = [("before", args.baseline.resolve()), ("after", PROJECT_ROOT)]
    load = os.getloadavg()
    say(f"fixed cost of `xxgk run`; code {code_fingerprint()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} "
        f"(bytecode caches {'not written' if sys.dont_write_bytecode else 'written'})")
    t0 = time.perf_counter()
    if not args.skip_one_report:
        one_report(args.repeat, args.keep, trees)
    if not args.skip_corpus:
        corpus_runs(args.reports, args.keep, trees, args.corpus_repeat)
    say(f"\n({time.perf_counter() - t0:.0f} s in all; load average now {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
