"""What `xxgk run` executes: the code location's own jobs (`xxgk_inbox`, then `xxgk_year` for each
year), with their executor and IO manager, in this process against the Dagster instance -- the
runs a sensor, a schedule, the UI or a backfill would launch, so they show in the UI alike. The
CLI adds the arguments and the summary; it never reaches past these functions."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from dagster import DagsterInstance, Definitions

from pipelines.recovery import execute
from xxgk.normalise import NormalisedStore


def read_inbox(defs: Definitions, instance: DagsterInstance, run_config: dict) -> NormalisedStore | None:
    """Materialize the inbox's assets (read, normalise, reject); the normalised store, or None if the run failed."""
    # through recovery.execute: a wait for the writer's slot is said, a signal stops the command
    result = execute(defs.resolve_job_def("xxgk_inbox"), instance, run_config=run_config, raise_on_error=False)
    return result.output_for_node("normalised_documents") if result.success else None


def load_year(defs: Definitions, instance: DagsterInstance, year: int, run_config: dict) -> bool:
    """Materialize one year's partition (extract, check, load); whether the run succeeded."""
    result = execute(defs.resolve_job_def("xxgk_year"), instance, partition_key=str(year), run_config=run_config,
                     raise_on_error=False)
    return result.success


@contextmanager
def event_log_kept_open(instance: DagsterInstance) -> Iterator[None]:
    """While it lasts, the instance's SQLite event log keeps one open connection to each of its
    files (each run's own, and the index) and uses it for every event, instead of a new engine
    and connection for each; so does the run history.

    Dagster's SQLite event log (SqliteEventLogStorage._connect) creates an engine, connects,
    commits and disposes of it for every event it stores (a run of one year stores ~70), and the
    close of the last connection to a database in WAL mode checkpoints the WAL and deletes it:
    fdatasyncs of both files and of the folder for every event, which a busy disk makes cost
    more than the steps themselves. Here each file's engine is made once and its connection
    pooled: every event is still its own transaction, committed to the WAL as before (readers,
    the UI, see it at once), and the WAL is checkpointed as SQLite does by size, and once when
    the engines are disposed of at the end. Dagster's own lock still serialises the
    connections, and its set-up of a new file (tables, schema version) is the same call.
    Only in the process that uses it (`xxgk run`); any other event log storage is left as it is.
    """
    storage = instance.event_log_storage
    needed = ("_connect", "_db_lock", "_initialized_dbs", "_initdb", "conn_string_for_shard")
    if type(storage).__name__ != "SqliteEventLogStorage" or not all(hasattr(storage, n) for n in needed) \
            or "_connect" in vars(storage):
        yield
        return
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS  # (Dagster's own: the same waits)
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import QueuePool

    engines: dict = {}

    @contextmanager
    def _connect(shard: str):
        with storage._db_lock:
            engine = engines.get(shard)
            if engine is None:
                engine = create_engine(storage.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                                       max_overflow=4, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
                event.listen(engine, "connect", _wal)
                if shard not in storage._initialized_dbs:
                    storage._initdb(engine)
                    storage._initialized_dbs.add(shard)
                engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def _wal(connection, _record) -> None:
        # a new file is in WAL mode before Dagster makes its tables (it switches after): its set-up
        # is not a series of synced rollback journals; NORMAL syncs a WAL only at checkpoints
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")

    storage._connect = _connect
    # the run history (runs.db: a run's creation, its status, tags, snapshots) alike; its
    # connections take no lock of Dagster's, so the pool lends up to five at once
    runs = instance.run_storage
    pooled_runs = type(runs).__name__ == "SqliteRunStorage" and hasattr(runs, "_conn_string") and "connect" not in vars(runs)
    if pooled_runs:
        engines["runs"] = runs_engine = create_engine(
            runs._conn_string, poolclass=QueuePool, pool_size=1, max_overflow=4,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        event.listen(runs_engine, "connect", _wal)

        @contextmanager
        def connect():
            with runs_engine.connect() as conn, conn.begin():
                yield conn

        runs.connect = connect
    try:
        yield
    finally:
        del storage._connect
        if pooled_runs:
            del runs.connect
        for engine in engines.values():
            with suppress(Exception):
                engine.dispose()
