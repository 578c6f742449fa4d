"""What `xxgk run` need not do again: an inbox unchanged since the last run, and the years whose
documents are those the warehouse already holds from it.

After each run a small record (``<staging>/inbox-…/loaded/<warehouse>.json``, beside the inbox's
stores) says, for that warehouse, what the inbox looked like (every file's size, times and inode,
what the listing skipped, the code, every setting in effect: :func:`listing_key`) and,
for each year loaded, the fingerprint of its documents (ids, files, formats, with the same code
and settings: :func:`year_key`) and the documents the warehouse held of it after the load.

- The inbox lists as it did: no Dagster run at all, nothing imported but DuckDB. `xxgk run` says
  "nothing changed" and what the warehouse holds (:func:`unchanged`; well under a second).
- Otherwise the inbox is read (a file read before is not read again: xxgk.inbox), and a year
  whose fingerprint is the recorded one is not loaded again (:func:`year_unchanged`).

Both also ask the warehouse itself: every recorded document must still be there, and their
retractions be those recorded (a retraction, or one taken back, since the load is a reason to load
the year again, and so is a warehouse that was replaced or deleted). A record that cannot be read is no record: everything is
done as on a first run. The record is written only after the run, and only with the years whose
load succeeded.

This module must stay light: the "nothing changed" answer is only fast if it imports neither
Dagster nor the readers. Where the inbox, warehouse and stores are is worked out here from the
warehouse's settings (assets/deployment.py), which the run's resources are built from too
(tests/pipelines/test_incremental.py holds the two to the same answers).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from xxgk.code_version import code_version, document_code
from xxgk.settings import Settings

RECORD_VERSION = 1


def year_code() -> str:
    """The code of a year's job (extract, check, load, render) and of the document stages."""
    return code_version("xxgk", "assets", "expectations", "warehouse", "pipelines")


@dataclass
class Places:
    """Where a run reads and writes, and a key of every setting it is given."""

    inbox: Path
    warehouse: Path
    staging_root: str
    data_docs: Path
    data_docs_enabled: bool
    settings: str  # every setting, the code, this year (a report of next year is rejected)
    effective: Settings  # the settings in effect, as the runs get them

    @classmethod
    def of(cls, inbox: str | None, warehouse: str | None, follow_outside_links: bool = False) -> Places:
        """Where the warehouse's settings put them, with the command line's `inbox` and `follow_outside_links`."""
        from assets.deployment import locate
        from xxgk.listing import stores_root

        deployment = locate(warehouse)
        given = deployment.effective(inbox=inbox, follow_outside_links=follow_outside_links or None)
        settings = hashlib.sha256(json.dumps({
            "settings": given.model_dump(mode="json"),
            "code": [year_code(), document_code()],
            "year": dt.date.today().year,
        }).encode()).hexdigest()
        return cls(Path(given.inbox), deployment.database, stores_root(given.staging, given.inbox),
                   Path(given.data_docs).expanduser(), given.data_docs_enabled, settings, given)

    @property
    def record_url(self) -> str:
        name = hashlib.sha256(str(self.warehouse).encode()).hexdigest()[:12]
        return "/".join([self.staging_root, "loaded", f"{name}.json"])


@dataclass
class Record:
    listing: str = ""  # listing_key of the last run, when every year it loaded succeeded
    at: str = ""
    files_seen: int = 0
    reports_by_year: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    # year -> {"key": year_key, "documents": [ids the warehouse held after the load], "warehouse": warehouse_state}
    years: dict[str, dict] = field(default_factory=dict)


def _is_local(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


def read_record(places: Places) -> Record:
    url = places.record_url
    try:
        if _is_local(url):
            path = Path(url.removeprefix("file://"))
            if not path.is_file():
                return Record()
            doc = json.loads(path.read_text(encoding="utf-8"))
        else:
            import fsspec

            fs, path = fsspec.core.url_to_fs(url)
            if not fs.exists(path):
                return Record()
            with fs.open(path, "r", encoding="utf-8") as fh:
                doc = json.load(fh)
        if doc.pop("version", None) != RECORD_VERSION:
            return Record()
        return Record(**doc)
    except Exception:  # noqa: BLE001 (cut short, damaged, another layout: not trusted, everything done again)
        return Record()


def write_record(places: Places, record: Record) -> None:
    url = places.record_url
    text = json.dumps({"version": RECORD_VERSION, **record.__dict__})
    if _is_local(url):
        path = Path(url.removeprefix("file://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)  # never half a record
    else:
        import fsspec

        fs, path = fsspec.core.url_to_fs(url)
        with fs.open(path, "w", encoding="utf-8") as fh:  # an object store's PUT is whole already
            fh.write(text)


def listing_key(places: Places, files: list[Path], skipped: list[tuple[str, str]]) -> str:
    """The inbox as the file system lists it (each file's size, times and inode: any write
    changes the ctime), what the listing skipped and why, with every setting and the code."""
    h = hashlib.sha256(f"{places.settings}\n".encode())
    for path in files:
        try:
            st = path.stat()
            h.update(f"{os.fsencode(path)!r} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}\n".encode())
        except OSError as error:
            h.update(f"{os.fsencode(path)!r} {error.errno}\n".encode())
    for name, reason in skipped:
        h.update(f"skipped {name!r} {reason}\n".encode())
    return h.hexdigest()


def year_key(places: Places, store, year: int) -> str:
    """A year's documents as the year job gets them (ids, files, duplicates, formats), with the
    code and every setting: equal keys, equal loads."""
    import polars as pl

    docs = store.documents.filter(pl.col("year") == year).sort("document_id")
    h = hashlib.sha256(f"{store.cache_key}|{places.settings}\n".encode())
    for doc_id, source, fmt in docs.select("document_id", "source_file", "format").iter_rows():
        h.update(f"{doc_id} {source!r} {fmt} {sorted(store.duplicate_files.get(doc_id, []))!r}\n".encode())
    return h.hexdigest()


_ID = re.compile(r"[0-9a-f]{16}")


def _documents(con, documents: list[str]) -> None:
    """The ids (16 hex digits each: nothing else is let through) as variable `documents` of the SQL.
    Set in the text, not bound: DuckDB imports pandas (0.6 s) to look at a Python list."""
    con.execute("SET VARIABLE documents = [" + ",".join(f"'{d}'" for d in documents if _ID.fullmatch(d)) + "]::VARCHAR[]")


def warehouse_state(con, documents: list[str]) -> str | None:
    """What the warehouse says of these documents: None unless it holds every one of them
    (loaded, superseded, or retracted), else a hash of their retractions (each retraction, and
    its undoing, changes it: a year is loaded again after either)."""
    from warehouse.statements import rows

    if any(not _ID.fullmatch(d) for d in documents):
        return None
    try:
        _documents(con, documents)
        ((present,),), retractions = rows(con, "incremental/state")
    except Exception:  # noqa: BLE001 (no warehouse, another schema: load)
        return None
    if present != len(set(documents)):
        return None
    return hashlib.sha256(repr(retractions).encode()).hexdigest()


def holds(con, entry: dict) -> bool:
    """Whether the warehouse holds a year's documents as its record says it did after their load."""
    state = warehouse_state(con, entry.get("documents", []))
    return state is not None and state == entry.get("warehouse")


def connect(places: Places):
    """The warehouse read-only, from its published copy (never waits for a writer), or None."""
    import duckdb

    from warehouse.writer import readable_path

    path = readable_path(places.warehouse)
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SET enable_progress_bar = false")
        return con
    except Exception:  # noqa: BLE001 (not a DuckDB file, held in a way that refuses readers: load)
        return None


@dataclass
class Unchanged:
    """An inbox that lists as it did at the last run, every year of which the warehouse holds."""

    record: Record
    years: list[int]
    notes: list[str]
    con: object  # the warehouse, open read-only: the summary is read from it


def unchanged(places: Places, record: Record, listing: str, wanted: list[int] | None) -> Unchanged | None:
    from pipelines.run_options import choose_years

    if not record.listing or record.listing != listing:
        return None
    found = sorted(int(y) for y in record.reports_by_year)
    years, notes = choose_years(found, wanted, Counter({int(y): n for y, n in record.reports_by_year.items()}))
    if not years or any(str(y) not in record.years for y in years):
        return None  # nothing to load (the full run says so), or a year not loaded from this inbox yet
    con = connect(places)
    if con is None:
        return None
    if not all(holds(con, record.years[str(y)]) for y in years):
        con.close()
        return None
    return Unchanged(record, years, notes, con)


def year_unchanged(places: Places, record: Record, store, year: int) -> bool:
    """Whether the year's documents are those its last load from this inbox loaded, with the same
    code and settings, and the warehouse still holds them."""
    entry = record.years.get(str(year))
    if not entry or entry.get("key") != year_key(places, store, year):
        return False
    con = connect(places)
    if con is None:
        return False
    with con:
        return holds(con, entry)


def loaded(places: Places, store, year: int) -> dict | None:
    """The record of a year just loaded: its key, the documents of `store` the warehouse holds
    (a report without any cell is rejected, not loaded) and what it says of them; None if the
    warehouse cannot be read."""
    import polars as pl

    from warehouse.statements import run

    ids = store.documents.filter(pl.col("year") == year)["document_id"].to_list()
    con = connect(places)
    if con is None:
        return None
    with con:
        try:
            _documents(con, ids)
            held = [d for (d,) in run(con, "incremental/held").fetchall()]
        except Exception:  # noqa: BLE001
            return None
        state = warehouse_state(con, held)
    return None if state is None else {"key": year_key(places, store, year), "documents": held, "warehouse": state}


def after_run(places: Places, record: Record, listing: str, store, loaded_now: dict[int, dict | None],
              failed: list[int]) -> Record:
    """The record of this run: the years loaded now (:func:`loaded`), those left as they were, none
    that failed. The listing is kept only when no year failed (else the next run would not load it)."""
    found = {str(y) for y in store.years}
    years = {y: e for y, e in record.years.items() if y in found and int(y) not in failed}
    for year, entry in loaded_now.items():
        if entry is None:
            years.pop(str(year), None)
        else:
            years[str(year)] = entry
    reports = {str(y): n for y, n in store.documents.group_by("year").len().iter_rows()}
    return Record(listing=listing if not failed else "", at=dt.datetime.now().isoformat(sep=" ", timespec="seconds"),
                  files_seen=store.files_seen, reports_by_year=reports, rejected=len(store.rejected), years=years)
