"""A year's load as `xxgk run` executes it, and as a backfill launches it (the path of runs from
the UI, a schedule or a sensor: the daemon's run queue -> the run launcher -> a run worker
process -> the job's executor), side by side, with the jobs' executor (in process) and with
Dagster's default (multiprocess: a process per step).

    .venv/bin/python -m benchmarks.launch [--inbox DIR] [--year 2023] [--repeat 2]

Prints, per way of running: the run's own time (first to last event of the run) and the wall
time from submission to the end, medians of --repeat runs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.resources import PROJECT_ROOT
from xxgk import SAMPLES_DIR

BIN = Path(sys.executable).parent
LOCATIONS = {"in process (the jobs' executor)": "pipelines.definitions",
             "multiprocess (Dagster's default)": "tests.pipelines.multiprocess_location"}


def _run_times(home: Path, job: str) -> list[tuple[str, float, float]]:
    """(run id, start, end) of the finished runs of `job` in the instance at `home`, oldest first."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    with DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(RunsFilter(job_name=job, statuses=[DagsterRunStatus.SUCCESS]))
        return sorted((r.dagster_run.run_id, r.start_time, r.end_time) for r in records)


def _in_process(env: dict, year: str) -> float:
    code = ("import time, sys; from dagster import DagsterInstance; from pipelines.definitions import build_definitions;"
            "from pipelines.execution import load_year; d = build_definitions(); i = DagsterInstance.get(); "
            f"t = time.perf_counter(); ok = load_year(d, i, {year}, {{}}); print(time.perf_counter() - t); sys.exit(0 if ok else 1)")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _backfill(env: dict, module: str, year: str, home: Path) -> tuple[float, float]:
    before = len(_run_times(home, "xxgk_year"))
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "dagster"), "job", "backfill", "-m", module, "-j", "xxgk_year", "--partitions", year,
                    "--noprompt"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    while len(runs := _run_times(home, "xxgk_year")) == before:
        time.sleep(0.5)
    wall = time.perf_counter() - t0
    _, start, end = runs[-1]
    return end - start, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inbox", default=str(SAMPLES_DIR))
    parser.add_argument("--year", default="2023")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="xxgk-launch-"))
    home = tmp / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(Path(args.inbox).resolve()),
           "XXGK_WAREHOUSE": str(tmp / "w.duckdb"), "XXGK_DATA_DOCS_ENABLED": "0"}
    subprocess.run([str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-j", "xxgk_inbox"],
                   env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)
    results: dict[str, list[tuple[float, float]]] = {"xxgk run (in this process)": []}
    for _ in range(args.repeat):
        t = _in_process(env, args.year)
        results["xxgk run (in this process)"].append((t, t))
    for label, module in LOCATIONS.items():
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-m", module], env=env, cwd=PROJECT_ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            key = f"backfill, {label}"
            results[key] = [_backfill(env, module, args.year, home) for _ in range(args.repeat)]
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
    print(f"\nyear {args.year} of {args.inbox}, medians of {args.repeat} (seconds)")
    print(f"{'way of running':48} {'run':>8} {'submit to end':>14}")
    for label, values in results.items():
        print(f"{label:48} {statistics.median(v[0] for v in values):8.1f} {statistics.median(v[1] for v in values):14.1f}")
    print(json.dumps({k: v for k, v in results.items()}))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
