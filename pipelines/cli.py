"""`xxgk run`: materialize every asset for every year found in the inbox, then summarise.

Runs execute in this process against the warehouse's own Dagster instance (its folder's
dagster_home/, or DAGSTER_HOME: assets/deployment.py), so they appear in its UI afterwards
(`xxgk ui --warehouse DIR`). The warehouse's settings -- above all its inbox -- are recorded
in its folder (xxgk.yaml), where backfills, the schedule and the sensors read them; every
setting reaches the runs as resource config.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from contextlib import ExitStack, suppress
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pipelines import export, retract, review, ui
from pipelines.instance import BrokenHome, open_instance
from pipelines.recovery import guarded, recover_dead_runs
from pipelines.run_options import choose_years, inbox_problem, output_problem, parse_years


def _say(text: str = "") -> None:
    print(text, flush=True)


def _warn(text: str) -> None:
    print(f"xxgk: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    warnings.filterwarnings("ignore")  # Dagster preview/beta notices are not for the user of this command
    started = time.perf_counter()
    from assets.deployment import DeploymentError
    from pipelines import incremental
    from xxgk.listing import scan_inbox
    from xxgk.settings import SettingsError, variable_of

    # where: worked out without Dagster, so that an unchanged inbox is answered in well under a second
    try:
        places = incremental.Places.of(args.inbox, args.warehouse, args.follow_outside_links)
    except (DeploymentError, SettingsError) as error:  # its xxgk.yaml unreadable, a setting's value unusable
        _warn(str(error))
        return 2
    problem = inbox_problem(places.inbox)
    if problem:
        _warn(problem)
        return 2
    listing = scan_inbox(places.inbox, follow_outside_links=places.effective.follow_outside_links)
    if not listing.files:
        _warn(f"no reports found: the inbox {places.inbox} holds no files (reports are .pdf, .html/.htm, .docx/.doc, .txt or .md); nothing loaded")
        return 1
    # the inbox as it lists now, and what the last run of it into this warehouse recorded
    record, listed = incremental.read_record(places), incremental.listing_key(places, listing.files, listing.skipped)
    same = incremental.unchanged(places, record, listed, args.years)
    if same is not None:
        return _nothing_changed(same, places, started)
    from assets.resources import resources_config
    from xxgk.parallel import start_fork_server, start_helper
    from xxgk.staging import store_lock
    from xxgk.waiting import say_on_stderr

    # work to do: the readers' fork server, and a helper process importing Great Expectations (then the
    # overview's charts, and writing Data Docs and overview pages), start beside this one's imports
    start_fork_server()
    start_helper(("expectations.gates:warm",), then=("warehouse.overview", "matplotlib.figure"))

    try:
        deployment = ui.deployment_of(args.warehouse)  # one warehouse per folder, one per Dagster home
    except DeploymentError as error:
        _warn(str(error))
        return 1
    settings = places.effective  # what the runs get, and what the record of the last run was made with
    values = settings.model_dump()
    config = resources_config(deployment, values)
    inbox, warehouse, stores = places.inbox, places.warehouse, places.staging_root
    outputs = {f"the staging folder ({variable_of('staging')})": settings.staging,
               f"the archive ({variable_of('archive')})": settings.archive,
               f"the overview folder ({variable_of('overview')})": settings.overview,
               **({f"the Data Docs folder ({variable_of('data_docs')})": settings.data_docs} if settings.data_docs_enabled else {})}
    problem = output_problem(warehouse, outputs)  # one line naming the path and the cause, before any work
    if problem:
        _warn(problem)
        return 1
    # the inbox's stores are this run's from its first step to its summary: a second xxgk run on
    # the same inbox (and staging) waits here, saying so every minute, rather than clearing them
    # while this one reads them (the runs below take the lock again, in this process, freely)
    with ExitStack() as held:
        try:
            held.enter_context(store_lock(stores, what=f"the stores of the inbox {inbox} ({stores})", who="xxgk run",
                                          say=say_on_stderr))
        except OSError as error:
            _warn(f"cannot write the staging folder {stores}: {error.strerror or error}")
            return 1
        return _load(args, config, inbox, warehouse, settings, started, deployment, values, (places, record, listed))


def _load(args: argparse.Namespace, config: dict, inbox: Path, warehouse: Path, docs, started: float,
          deployment, values: dict, kept) -> int:
    """The run itself; `kept`: (places, record, listing key) of pipelines.incremental."""
    from assets.deployment import DeploymentError
    from pipelines import incremental
    from pipelines.definitions import build_definitions
    from pipelines.execution import event_log_kept_open, load_year, read_inbox
    from pipelines.process import relax_sqlite_syncs
    from xxgk.parallel import finish_helper

    places, record, listed = kept
    relax_sqlite_syncs()  # the run history's commits do not wait for the disk (pipelines/process.py says why)
    try:
        # one process at a time creates a fresh home; a home broken so is repaired
        instance = open_instance(deployment)
    except (BrokenHome, DeploymentError) as broken:  # (a home another run bound meanwhile to another warehouse)
        _warn(str(broken))
        return 1
    # what the warehouse's backfills, schedule and sensors will read: the settings of this run
    try:
        for line in ui.record_settings(deployment, values):
            _say(line)
    except OSError as error:  # the load itself says, in its turn, what it cannot write
        _warn(f"the settings of {deployment.folder} were not recorded ({error.strerror or error}): "
              "its backfills, schedule and sensors do not know this run's inbox")
    defs = build_definitions()
    # every event of the runs below is a commit to the instance's SQLite files: through connections
    # kept open, not an engine made, synced to disk and disposed of for each (pipelines/execution.py)
    with event_log_kept_open(instance):
        recover_dead_runs(instance, say=_warn)  # runs killed earlier: marked failed, their writer slot freed
        run_config_ = {**config, "loggers": {"console": {"config": {"log_level": args.log_level}}}}
        _say(f"[1/2] reading the inbox {inbox}")
        batch = read_inbox(defs, instance, run_config_)
        if batch is None:
            _warn("reading the inbox failed; see the run in the Dagster UI (make ui)")
            return 1
        per_year = Counter(batch.documents["year"].to_list())
        years, notes = choose_years(batch.years, args.years, per_year)
        found = ", ".join(f"{y}: {per_year[y]}" for y in batch.years) or "none"
        duplicates = sum(len(v) for v in batch.duplicate_files.values())
        unread = f" ({batch.files_read} read, the others unchanged since an earlier run)" if batch.files_read < batch.files_seen else ""
        _say(f"      {batch.files_seen} files{unread}: {len(batch.documents)} documents (by year {found})"
             f"{f', {duplicates} duplicate files' if duplicates else ''}, {len(batch.rejected)} not loaded while reading")
        for note in notes:
            _say(f"      {note}")
        failed, loaded_now = [], {}
        for n, year in enumerate(years, start=1):
            t0 = time.perf_counter()
            if incremental.year_unchanged(places, record, batch, year):
                _say(f"[2/2] year {year} ({n}/{len(years)}): unchanged since its last load ({per_year[year]} reports), not loaded again")
                continue
            print(f"[2/2] year {year} ({n}/{len(years)}): extract, check, load ...", end="", flush=True)
            loaded = load_year(defs, instance, year, run_config_)
            _say(f" {'done' if loaded else 'FAILED'} in {time.perf_counter() - t0:.1f} s")
            if not loaded:
                failed.append(year)
            loaded_now[year] = incremental.loaded(places, batch, year) if loaded else None
    unwritten = finish_helper()  # the Data Docs and overview pages the helper was still writing
    for line in unwritten:
        _warn(f"not written: {line}")
    incremental.write_record(places, incremental.after_run(places, record, listed, batch, loaded_now, failed))
    from warehouse.loader import connect, ensure_schema
    from warehouse.summary import RunScope, render, summarise
    from warehouse.writer import open_writer, readable_path

    if not readable_path(warehouse).exists():  # nothing was written (no year loaded, no file rejected): an empty warehouse
        with open_writer(warehouse) as con:
            ensure_schema(con)
    # this run's rows: its documents, their agency-years, the files it rejected (not other runs')
    scope = RunScope(document_ids=batch.documents["document_id"].to_list(),
                     rejected=[(r["document_id"], r["source_file"]) for r in batch.rejected])
    other_years = sum(n for y, n in per_year.items() if y not in years)
    with connect(readable_path(warehouse), read_only=True) as con:  # the published copy: never waits for a writer
        _say()
        _say(render(summarise(con, years, scope), files_read=batch.files_seen, duplicate_files=duplicates,
                    other_years=other_years))
    _say(f"\nwarehouse: {warehouse}  ({time.perf_counter() - started:.1f} s)")
    _say(f"its Dagster UI: xxgk ui --warehouse {deployment.folder}  (runs, partitions, checks: {deployment.home})")
    for year in years if docs.data_docs_enabled else []:
        index = Path(docs.data_docs).expanduser() / str(year) / "index.html"
        if index.exists():
            _say(f"data docs {year}: {index}")
    if failed:
        _warn(f"years that failed: {', '.join(map(str, failed))}; see the runs in the Dagster UI (make ui)")
        return 1
    if unwritten:
        return 1
    if not batch.years:
        _warn(f"no reports found among the {batch.files_seen} files of {inbox} (each is listed above with the reason)")
        return 1
    if not years:
        _warn(f"nothing to load: the inbox holds reports of {', '.join(map(str, batch.years))} only")
        return 1
    return 0


def _nothing_changed(same, places, started: float) -> int:
    """The inbox lists as it did when the warehouse got what it holds of it: no run, the summary."""
    from warehouse.summary import render, summarise

    record = same.record
    found = ", ".join(f"{y}: {n}" for y, n in sorted(record.reports_by_year.items())) or "none"
    _say(f"[1/2] reading the inbox {places.inbox}")
    _say(f"      nothing changed since the last run ({record.at}): {record.files_seen} files, "
         f"{sum(record.reports_by_year.values())} reports (by year {found}), {record.rejected} not loaded")
    for note in same.notes:
        _say(f"      {note}")
    _say(f"[2/2] no year to load: the warehouse holds the reports of {', '.join(map(str, same.years))} "
         "as this inbox gave them; nothing read, nothing loaded")
    with same.con as con:
        _say()
        _say(render(summarise(con, same.years), files_read=record.files_seen))
    _say(f"\nwarehouse: {places.warehouse}  ({time.perf_counter() - started:.1f} s)")
    for year in same.years if places.data_docs_enabled else []:
        index = places.data_docs / str(year) / "index.html"
        if index.exists():
            _say(f"data docs {year}: {index}")
    return 0


def _exit_now(code: int) -> int:
    """End the process here, when `xxgk run` is the process's own command (not a function a caller
    goes on after): the exit handlers run and the output is flushed as at any exit, then the
    interpreter stops without tearing down what the run imported and built (Dagster, DuckDB,
    Polars, ~0.7 s of freeing memory that the operating system takes back at once). Not while a
    thread other than this one may still be working: then the ordinary exit waits for it."""
    import atexit
    import os
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread()):
        return code
    atexit._run_exitfuncs()  # (what the interpreter runs at exit: temporary folders, child processes, logging)
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):  # (a reader that went away: nothing left to say)
            stream.flush()
    os._exit(code)


def _version() -> str:
    try:
        return version("xxgk")
    except PackageNotFoundError:  # run from a source tree that was not installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"xxgk {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="materialize everything for every year in the inbox, then summarise")
    p_run.add_argument("--inbox", help="folder of reports, read recursively, or one report file (default: $XXGK_INBOX, else the "
                       "warehouse's inbox (its xxgk.yaml), else the bundled samples); recorded as the warehouse's inbox")
    p_run.add_argument("--warehouse", help="the warehouse: a folder (its DuckDB file xxgk.duckdb) or a DuckDB file, beside which "
                       "go its stores, archive, Data Docs, overview, Dagster instance (dagster_home/) and settings (xxgk.yaml) "
                       "(default: $XXGK_WAREHOUSE, else the folder warehouse/)")
    p_run.add_argument("--follow-outside-links", action="store_true",
                       help="read the files that links in the inbox point to outside it (default: listed as skipped)")
    p_run.add_argument("--years", type=parse_years, metavar="YEARS", help="only these statistics years, e.g. 2023,2024 or 2019-2021")
    p_run.add_argument("--log-level", default="WARNING", help="Dagster console log level (default WARNING)")
    ui.add_parsers(sub)
    export.add_parser(sub)
    retract.add_parser(sub)
    review.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from xxgk.parallel import stop_helper

        try:
            code = guarded(lambda: run(args))  # SIGINT/SIGTERM stop it whole; a failed write is one line
        finally:
            stop_helper()
        return _exit_now(code) if argv is None else code
    if args.command in ("ui", "home"):
        return ui.main(args)
    if args.command == "export":
        return export.export(args)
    if args.command == "retract":
        return retract.retract(args)
    if args.command == "review":
        return review.review(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
