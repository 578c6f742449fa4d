"""`xxgk run`: materialize every asset for every year found in the inbox, then summarise.

Runs execute in this process against the local Dagster instance (DAGSTER_HOME,
default: the project root), so they appear in `dagster dev` afterwards.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

from pipelines.resources import PROJECT_ROOT


def _instance():
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT))
    from dagster import DagsterInstance

    return DagsterInstance.get()


def run(args: argparse.Namespace) -> int:
    if args.inbox:
        os.environ["XXGK_INBOX"] = str(args.inbox)
    if args.warehouse:
        os.environ["XXGK_WAREHOUSE"] = str(args.warehouse)
    warnings.filterwarnings("ignore")  # Dagster preview/beta notices are not for the user of this command
    started = time.perf_counter()
    from pipelines.definitions import build_definitions
    from pipelines.resources import (
        data_docs_from_env,
        inbox_from_env,
        warehouse_path_from_env,
    )

    inbox = inbox_from_env().folder
    if not inbox.is_dir():
        print(f"xxgk: inbox folder not found: {inbox} (set XXGK_INBOX or --inbox)", file=sys.stderr)
        return 2
    defs = build_definitions()
    instance = _instance()
    log_config = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}
    print(f"[1/2] reading the inbox {inbox}", flush=True)
    result = defs.resolve_job_def("xxgk_inbox").execute_in_process(instance=instance, run_config=log_config, raise_on_error=False)
    if not result.success:
        print("xxgk: reading the inbox failed; see the run in `dagster dev`", file=sys.stderr)
        return 1
    batch = result.output_for_node("normalised_documents")
    years = [y for y in batch.years if not args.years or y in args.years]
    print(f"      {batch.files_seen} files, {len(batch.documents)} reports, {len(batch.rejected)} not loaded; years: {', '.join(map(str, years)) or 'none'}", flush=True)
    failed = []
    year_job = defs.resolve_job_def("xxgk_year")
    for n, year in enumerate(years, start=1):
        t0 = time.perf_counter()
        print(f"[2/2] year {year} ({n}/{len(years)}): extract, check, load ...", end="", flush=True)
        res = year_job.execute_in_process(instance=instance, partition_key=str(year), run_config=log_config, raise_on_error=False)
        print(f" {'done' if res.success else 'FAILED'} in {time.perf_counter() - t0:.1f} s", flush=True)
        if not res.success:
            failed.append(year)
    from warehouse.loader import connect
    from warehouse.summary import render, summarise

    with connect(warehouse_path_from_env(), read_only=True) as con:
        print()
        print(render(summarise(con, years), files_read=batch.files_seen))
    print(f"\nwarehouse: {warehouse_path_from_env()}  ({time.perf_counter() - started:.1f} s)")
    docs = data_docs_from_env()
    if docs.enabled and years:
        print(f"data docs: {Path(docs.path) / str(years[-1]) / 'index.html'} (one folder per year)")
    if failed:
        print(f"xxgk: years that failed: {failed}; see `dagster dev`", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="xxgk", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="materialize everything for every year in the inbox, then summarise")
    p_run.add_argument("--inbox", help="folder of reports (default: $XXGK_INBOX, else the bundled samples)")
    p_run.add_argument("--warehouse", help="DuckDB file (default: $XXGK_WAREHOUSE, else warehouse/xxgk.duckdb)")
    p_run.add_argument("--years", type=lambda s: [int(y) for y in s.split(",")], help="only these years, e.g. 2023,2024")
    p_run.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
