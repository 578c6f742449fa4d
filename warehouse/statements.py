"""The warehouse's SQL, kept in `warehouse/sql/`, and how it is run: in one transaction,
with Polars frames registered under the names the SQL reads.

`sql/ddl/*.sql` build the schema, in the order of their names (a new file is picked up by
`ensure_schema` without touching Python); every other statement is `sql/<folder>/<name>.sql`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

SQL_DIR = Path(__file__).with_name("sql")


@cache
def statements(name: str) -> tuple[str, ...]:
    """The statements of `sql/<name>.sql`, split by DuckDB's own parser (a ';' inside a string
    or comment is not a split); cached: the files do not change while a process runs."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    with duckdb.connect() as parser:
        return tuple(s.query.strip() for s in parser.extract_statements(text))


def ddl_files() -> list[str]:
    return [f"ddl/{p.stem}" for p in sorted((SQL_DIR / "ddl").glob("*.sql"))]


def run(con: duckdb.DuckDBPyConnection, name: str, params: list | None = None) -> duckdb.DuckDBPyConnection:
    """Run every statement of `sql/<name>.sql`, one at a time; returns the last one's result
    (parameters, if any, go to every statement)."""
    result = con
    for statement in statements(name):
        result = con.execute(statement, params) if params is not None else con.execute(statement)
    return result


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (KeyboardInterrupt too): all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        with suppress(duckdb.Error):  # a connection that broke (disk full) must not hide why
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **frames: pl.DataFrame) -> Iterator[duckdb.DuckDBPyConnection]:
    """Frames visible to the SQL under these names (never found by DuckDB's scan of the
    caller's variables), unregistered afterwards."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield con
    finally:
        for name in frames:
            con.unregister(name)
