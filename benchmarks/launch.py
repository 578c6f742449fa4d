"""A year's load as `xxgk run` executes it, as a launched run (the UI's *Materialize*, a
schedule, a sensor) and as a backfill, side by side on the same inbox and instance.

    .venv/bin/python -m benchmarks.launch [--repeat 3] [--synthetic 200] [--multiprocess]

For the bundled samples and, unless --synthetic 0, a synthetic inbox of that many text-layer
PDFs (tests/fixtures/synthetic, cached as benchmarks.throughput caches its corpora), each in a
fresh DAGSTER_HOME (the project's dagster.yaml), warehouse and staging:

1. the inbox is read once (`dagster job execute -j xxgk_inbox`), one year is loaded once
   uncounted (so every measured run re-loads a year the warehouse holds: the same work);
2. a `dagster-daemon` runs for the instance, and --repeat times, in turn:
   - `xxgk run`: pipelines.execution.load_year in a fresh process, as the command calls it;
   - launched: `dagster job launch -j xxgk_year` with the partition's tag -- the path of the
     UI's launch: the run is queued, the daemon dequeues it, the instance's run launcher
     starts a run worker process, which runs the job's executor;
   - backfill: `dagster job backfill -j xxgk_year --partitions Y`: the daemon's backfill
     loop submits the run, which then goes the same way;
3. with --multiprocess, once more a backfill of the code location with Dagster's default
   executor (a process per step: tests/pipelines/multiprocess_location.py), to show what
   pipelines.definitions' choice of executor saves.

Prints, medians of --repeat: "run", the run's own time (the run worker's start to its end;
for `xxgk run`, the call), and "queued to end", from the run's (or backfill's) creation to
the run's end -- what a user who clicks waits, with the daemon's polling: the backfill
loop ticks every 30 s and the run queue every 5 s (Dagster's defaults, `dagster.yaml`).
Then the ratio of each to `xxgk run`.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from assets.resources import PROJECT_ROOT
from xxgk import SAMPLES_DIR

BIN = Path(sys.executable).parent
LOCATION = "pipelines.definitions"
MULTIPROCESS_LOCATION = "tests.pipelines.multiprocess_location"
JOB = "xxgk_year"
RUN_TIMEOUT = 900.0
Measured = tuple[float, float, str]  # the run's own time, from queued to its end, its run id


def _cli(env: dict, *args: str) -> None:
    """A Dagster command; its own output when it fails (a bare exit status says nothing)."""
    done = subprocess.run([str(BIN / args[0]), *args[1:]], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args[:3])} ... exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")


def _runs(home: Path) -> dict[str, object]:
    """The runs of JOB in the instance at `home`, by run id."""
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(home)) as instance:
        return {r.dagster_run.run_id: r for r in instance.get_run_records(RunsFilter(job_name=JOB))}


def _wait_for_new_run(home: Path, before: set[str]) -> object:
    """The record of the run of JOB that is not in `before`, once it has finished; exits if it failed."""
    from dagster import DagsterRunStatus

    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        new = [r for run_id, r in _runs(home).items() if run_id not in before]
        if new and new[0].dagster_run.is_finished:
            if new[0].dagster_run.status != DagsterRunStatus.SUCCESS:
                sys.exit(f"run {new[0].dagster_run.run_id} ended {new[0].dagster_run.status.value}: "
                         f"see it with DAGSTER_HOME={home} dagster-webserver")
            return new[0]
        time.sleep(0.5)
    sys.exit(f"no run of {JOB} finished within {RUN_TIMEOUT:.0f} s (is the daemon running? DAGSTER_HOME={home})")


def _xxgk_run(env: dict, year: str, home: Path) -> Measured:
    """load_year in a fresh process, as `xxgk run` calls it (the code location loaded before the clock)."""
    code = ("import time, sys; from dagster import DagsterInstance; from pipelines.definitions import build_definitions;"
            "from pipelines.execution import load_year; d = build_definitions(); i = DagsterInstance.get(); "
            f"t = time.perf_counter(); ok = load_year(d, i, {year}, {{}}); print(time.perf_counter() - t); sys.exit(0 if ok else 1)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"the year's load failed:\n{done.stderr[-4000:]}")
    t = float(done.stdout.strip().splitlines()[-1])
    latest = max(_runs(home).values(), key=lambda r: r.create_timestamp)
    return t, t, latest.dagster_run.run_id


def _launched(env: dict, year: str, home: Path, location: str = LOCATION) -> Measured:
    before = set(_runs(home))
    _cli(env, "dagster", "job", "launch", "-m", location, "-j", JOB, "--tags", json.dumps({"dagster/partition": year}))
    record = _wait_for_new_run(home, before)
    return record.end_time - record.start_time, record.end_time - record.create_timestamp.timestamp(), record.dagster_run.run_id


def _backfill(env: dict, year: str, home: Path, location: str = LOCATION) -> Measured:
    from dagster import DagsterInstance

    before = set(_runs(home))
    _cli(env, "dagster", "job", "backfill", "-m", location, "-j", JOB, "--partitions", year, "--noprompt")
    record = _wait_for_new_run(home, before)
    with DagsterInstance.from_config(str(home)) as instance:
        backfill = instance.get_backfill(record.dagster_run.tags["dagster/backfill"])
    return record.end_time - record.start_time, record.end_time - backfill.backfill_timestamp, record.dagster_run.run_id


class Daemon:
    """`dagster-daemon run` for the instance, stopped (its process group) on leaving."""

    def __init__(self, env: dict, location: str):
        self.args = [str(BIN / "dagster-daemon"), "run", "-m", location]
        self.env = env

    def __enter__(self):
        self.process = subprocess.Popen(self.args, env=self.env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def _slowest_steps(home: Path, run_id: str, top: int = 4) -> str:
    """The run's slowest steps, with their seconds: where a difference between the ways lies."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(home)) as instance:
        stats = [s for s in instance.get_run_step_stats(run_id) if s.start_time and s.end_time]
    stats.sort(key=lambda s: s.start_time - s.end_time)
    return ", ".join(f"{s.step_key} {s.end_time - s.start_time:.1f}" for s in stats[:top])


def measure(inbox: Path, year: str, repeat: int, multiprocess: bool) -> tuple[dict[str, list[Measured]], dict[str, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="xxgk-launch-"))
    home = tmp / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(inbox.resolve()),
           "XXGK_WAREHOUSE": str(tmp / "w.duckdb"), "XXGK_STAGING": str(tmp / "staging"), "XXGK_DATA_DOCS_ENABLED": "0"}
    try:
        _cli(env, "dagster", "job", "execute", "-m", LOCATION, "-j", "xxgk_inbox")
        _xxgk_run(env, year, home)  # the year is in the warehouse before any measured run
        ways = {"xxgk run": _xxgk_run, "launched (the UI's path)": _launched, "backfill": _backfill}
        results: dict[str, list[Measured]] = {way: [] for way in ways}
        with Daemon(env, LOCATION):
            for _ in range(repeat):  # in turn, so that a slow spell of the machine falls on all of them
                for way, run in ways.items():
                    results[way].append(run(env, year, home))
        if multiprocess:
            with Daemon(env, MULTIPROCESS_LOCATION):
                results["backfill, a process per step"] = [_backfill(env, year, home, MULTIPROCESS_LOCATION)]
        steps = {way: _slowest_steps(home, values[-1][2]) for way, values in results.items()}
        return results, steps
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(title: str, results: dict[str, list[Measured]], steps: dict[str, str]) -> None:
    base_run, base_wait = (statistics.median(v[i] for v in results["xxgk run"]) for i in (0, 1))
    print(f"\n{title}")
    print(f"  {'way of running':32} {'n':>2} {'run s':>7} {'/ xxgk run':>10} {'queued to end s':>16} {'/ xxgk run':>10}")
    for way, values in results.items():
        run, wait = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"  {way:32} {len(values):2} {run:7.1f} {run / base_run:9.2f}x {wait:16.1f} {wait / base_wait:9.2f}x")
    for way, slowest in steps.items():
        print(f"    slowest steps of the last {way}: {slowest}")


def _largest_year(folder: Path) -> tuple[str, int]:
    years = Counter(row["year"] for row in csv.DictReader((folder / "reports.csv").open(encoding="utf-8")))
    return years.most_common(1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", default="2023", help="the samples' year to load (default 2023)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--synthetic", type=int, default=200, metavar="N",
                        help="also a synthetic inbox of N PDFs, its largest year (0: the samples only)")
    parser.add_argument("--multiprocess", action="store_true", help="also one backfill with a process per step")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each inbox's figures as they come, into a file too
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    inboxes = [(f"the bundled samples ({len(list(SAMPLES_DIR.iterdir()))} files), year {args.year}", SAMPLES_DIR, args.year)]
    if args.synthetic:
        from benchmarks.throughput.corpus import corpus

        folder, _ = corpus(args.synthetic, 0, Path(tempfile.gettempdir()) / "xxgk-bench")
        year, count = _largest_year(folder)
        inboxes.append((f"{args.synthetic} synthetic PDFs, year {year} ({count} reports)", folder / "inbox", year))
    measured = {}
    for title, inbox, year in inboxes:  # each inbox's figures as soon as they are measured
        results, steps = measure(inbox, year, args.repeat, args.multiprocess)
        report(f"{title}: medians of {args.repeat} (seconds); load average now "
               f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", results, steps)
        measured[title] = results
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
