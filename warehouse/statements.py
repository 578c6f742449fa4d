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
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:  # only DuckDB is imported: the summary of an unchanged inbox uses this module
    import polars as pl

SQL_DIR = Path(__file__).with_name("sql")


@cache
def statements(name: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The statements of `sql/<name>.sql`, each with the names of its parameters, split by DuckDB's
    own parser (a ';' inside a string or comment is not a split); cached: the files do not change
    while a process runs."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    with duckdb.connect() as parser:
        return tuple((s.query.strip().rstrip(";"), frozenset(s.named_parameters)) for s in parser.extract_statements(text))


def ddl_files() -> list[str]:
    return [f"ddl/{p.stem}" for p in sorted((SQL_DIR / "ddl").glob("*.sql"))]


def _execute(con: duckdb.DuckDBPyConnection, statement: str, names: frozenset[str], params: list | dict | None):
    # each statement is given the parameters it names: `$name`s may differ from one statement to the next
    if params is None or not names:
        return con.execute(statement)
    return con.execute(statement, {k: params[k] for k in names} if isinstance(params, dict) else params)


def run(con: duckdb.DuckDBPyConnection, name: str, params: list | dict | None = None) -> duckdb.DuckDBPyConnection:
    """Run every statement of `sql/<name>.sql`, one at a time; returns the last one's result."""
    result = con
    for statement, names in statements(name):
        result = _execute(con, statement, names, params)
    return result


def rows(con: duckdb.DuckDBPyConnection, name: str, params: list | dict | None = None) -> list[list[tuple]]:
    """The rows of each statement of `sql/<name>.sql`, in the file's order."""
    return [_execute(con, statement, names, params).fetchall() for statement, names in statements(name)]


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
