"""The whole pipeline on Celery (Redis broker), the instance on PostgreSQL and the stores on an
S3-compatible store, with 1 and then 2 Celery workers, beside `xxgk run` in one process.

    .ci/services start && eval "$(.ci/services env)"
    .venv/bin/python -m benchmarks.celery [--pairs 100] [--shard-size 64]

Prints the wall time of each (inbox job, then one job per year; workers started beforehand).
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from assets.resources import PROJECT_ROOT
from tests.fixtures.deployment import deployment, execute, services, write_inbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100, help="agencies, each with a 2023 and a 2024 report")
    parser.add_argument("--shard-size", type=int, default=64)
    args = parser.parse_args()
    if services() is None:
        raise SystemExit("start the services first: .ci/services start; eval \"$(.ci/services env)\"")
    tmp = Path(tempfile.mkdtemp(prefix="xxgk-celery-"))
    t0 = time.perf_counter()
    write_inbox(tmp / "inbox", args.pairs)
    print(f"{2 * args.pairs} reports written in {time.perf_counter() - t0:.1f} s")
    times = {}
    home = tmp / "home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home)
    env = {**os.environ, "DAGSTER_HOME": str(home), "XXGK_INBOX": str(tmp / "inbox"), "XXGK_WAREHOUSE": str(tmp / "local.duckdb"),
           "XXGK_DATA_DOCS_ENABLED": "0", "XXGK_STAGING": str(tmp / "staging"), "XXGK_SHARD_SIZE": str(args.shard_size)}
    times["in process (xxgk run's jobs), local staging, sqlite"] = sum(
        execute(env, job, year, module="pipelines.definitions") for job, year in
        (("xxgk_inbox", None), ("xxgk_year", "2023"), ("xxgk_year", "2024")))
    for workers in (1, 2):
        with deployment(tmp / f"celery-{workers}", tmp / "inbox", tmp / f"celery-{workers}.duckdb", workers=workers,
                        shard_size=args.shard_size) as env:
            times[f"celery, {workers} worker(s), S3 staging, postgres"] = sum(
                execute(env, job, year) for job, year in (("xxgk_inbox", None), ("xxgk_year", "2023"), ("xxgk_year", "2024")))
    for label, seconds in times.items():
        print(f"{label:56} {seconds:7.1f} s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
