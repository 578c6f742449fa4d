"""The stages' stores: Parquet files on any fsspec location (a local folder, or s3://…).

Each stage reads the part files of the stage before it, a batch at a time, and writes
its own; what passes between Dagster assets is the small manifest of a store (one row per
document, and the part file that holds its rows), never the documents themselves. Where a
store lives is decided by the caller (the Dagster IO manager: one folder per asset and
partition); this module only reads and writes. Locations are URLs; remote filesystems take
their settings from fsspec's own configuration (e.g. ``FSSPEC_S3_ENDPOINT_URL``) and the
usual AWS variables, so a URL is all a worker process needs.

- raw rows: document_id, row, cells, where, confidences, provenance
- normalised rows: the same, with ``cells`` folded for matching and ``printed`` as printed
- grids (tables whose structure the reader saw, xxgk.grid): one row per cell, in a file
  beside the part (``<part>.grids.parquet``), only when the part has any

The cells of a row are one string joined by the unit separator (U+001F, which no report
prints: it is replaced by a space if one ever does), not a list column: Polars builds a
string column from Python lists ~10x faster. Confidences (OCR rows only) are JSON.
"""
from __future__ import annotations

import dataclasses
import fcntl
import importlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import fsspec
import polars as pl

from xxgk.grid import Grid, GridCell
from xxgk.model import Cell, NormalisedDocument, NormalisedRow, RawDocument, Row
from xxgk.waiting import say_on_stderr, wait_for

RAW_ROWS = {
    "document_id": pl.String,
    "row": pl.Int32,
    "cells": pl.String,
    "where": pl.String,
    "confidences": pl.String,
    "provenance": pl.String,
}
NORMALISED_ROWS = {**RAW_ROWS, "printed": pl.String}
GRID_CELLS = {
    "document_id": pl.String,
    "grid": pl.Int32,  # the table's number within its document
    "n_rows": pl.Int32,
    "n_cols": pl.Int32,
    "grid_where": pl.String,
    "anchor": pl.Int32,
    "grid_provenance": pl.String,
    "row": pl.Int32,
    "col": pl.Int32,
    "rowspan": pl.Int32,
    "colspan": pl.Int32,
    "text": pl.String,
    "printed": pl.String,  # null in the raw stage
    "where": pl.String,
    "confidence": pl.Float64,
}
SEP = "\x1f"


def _join(cells: list[str]) -> str:
    return SEP.join(c.replace(SEP, " ") for c in cells)


def _confidences(values: list[float | None] | None) -> str | None:
    return None if values is None else json.dumps(values)


# --- locations -------------------------------------------------------------------------

def join(url: str | Path, *names: str) -> str:
    """The URL of `names` under the folder `url` (a local path or an fsspec URL)."""
    return "/".join([str(url).rstrip("/"), *names])


def _fs(url: str):
    return fsspec.core.url_to_fs(str(url))


def is_local(url: str | Path) -> bool:
    return isinstance(_fs(str(url))[0], fsspec.implementations.local.LocalFileSystem)


def remote_filesystems(urls: list[str]) -> list:
    """The fsspec filesystems of the URLs that are not local files (one per protocol)."""
    return list({fs.protocol: fs for fs in (_fs(u)[0] for u in urls) if not isinstance(fs, fsspec.implementations.local.LocalFileSystem)}.values())


def clear(url: str | Path) -> None:
    """Remove the folder `url` and everything in it (a store about to be written anew)."""
    fs, path = _fs(str(url))
    if fs.exists(path):
        fs.rm(path, recursive=True)


def file_digest(url: str | Path) -> str | None:
    """The sha256 of a file's bytes, or None when it cannot be read."""
    import hashlib

    fs, path = _fs(str(url))
    try:
        with fs.open(path, "rb") as fh:
            h = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except (OSError, ValueError):
        return None


def digests(urls: list[str]) -> dict[str, str]:
    """{url: sha256} of the files that exist among `urls` (a part and the grids file beside it):
    what a later run checks before it uses them again."""
    out = {}
    for url in urls:
        digest = file_digest(url)
        if digest is not None:
            out[str(url)] = digest
    return out


class Intact:
    """Which of a store's files are whole and unchanged since they were written: each is hashed
    once and compared with the digest recorded when it was written. A file missing, cut short,
    changed, or written without a digest is not intact, and what it holds is made again."""

    def __init__(self, checksums: dict[str, str]):
        self.checksums = checksums
        self._seen: dict[str, bool] = {}

    def __call__(self, url: str) -> bool:
        url = str(url)
        if url not in self._seen:
            files = [url, grids_path(url)] if url.endswith(".parquet") else [url]
            # a grids file that was never written has no digest; one that was must still match
            self._seen[url] = url in self.checksums and all(
                f not in self.checksums or file_digest(f) == self.checksums[f] for f in files)
        return self._seen[url]


# A part file no store references, and no earlier record did, is left this long (a run of the same
# inbox in another process may be writing it) before it is taken for the remains of a run that died.
ORPHAN_SECONDS = 24 * 3600


def remove_unreferenced(folder: str | Path, keep: set[str], prefix: str, earlier: set[str] = frozenset(),
                        orphan_seconds: float = ORPHAN_SECONDS) -> int:
    """Remove the part files named `prefix`… under `folder` (any depth) that the new store does
    not reference (`keep`; grids files go with their part) and that the earlier store did
    (`earlier`), or that nothing has referenced for `orphan_seconds`; how many. A part another
    process is writing for its own store of the same inbox is neither, and stays."""
    import time

    fs, root = _fs(str(folder))
    if not fs.exists(root):
        return 0
    kept = {_fs(str(k))[1] for k in keep}
    kept |= {grids_path(k) for k in kept}
    known = {_fs(str(k))[1] for k in earlier}
    known |= {grids_path(k) for k in known}
    removed = 0
    for path in fs.find(root):
        name = path.rsplit("/", 1)[-1]
        if not (name.startswith(prefix) and name.endswith(".parquet")) or path in kept:
            continue
        try:
            if path not in known and time.time() - fs.modified(path).timestamp() < orphan_seconds:
                continue
            fs.rm(path)
            removed += 1
        except (FileNotFoundError, OSError):  # gone already (another run's clean-up): nothing to do
            continue
    return removed


def write_frame(frame: pl.DataFrame, url: str | Path) -> str:
    """Write atomically: a reader never sees half a file (a local file is renamed into place;
    an object store's PUT is atomic already)."""
    url = str(url)
    fs, path = _fs(url)
    if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(path).with_name(f".{Path(path).name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
        frame.write_parquet(tmp)
        os.replace(tmp, path)
    else:
        with fs.open(path, "wb") as fh:
            frame.write_parquet(fh)
    return url


def read_frame(url: str | Path, schema: dict | None = None) -> pl.DataFrame:
    fs, path = _fs(str(url))
    if isinstance(fs, fsspec.implementations.local.LocalFileSystem):
        return pl.read_parquet(path, schema=schema, glob=False)
    with fs.open(path, "rb") as fh:
        return pl.read_parquet(fh, schema=schema)


def read_frames(urls: list[str], schema: dict) -> pl.DataFrame:
    return pl.concat([read_frame(u, schema) for u in urls]) if urls else pl.DataFrame(schema=schema)


def scan_frames(urls: list[str], schema: dict) -> pl.LazyFrame:
    """A lazy view of part files: scanned where they are local, read one by one otherwise."""
    if not urls:
        return pl.DataFrame(schema=schema).lazy()
    if all(is_local(u) for u in urls):
        return pl.scan_parquet([_fs(u)[1] for u in urls], schema=schema, glob=False)
    return pl.concat([read_frame(u, schema).lazy() for u in urls])


# --- one run at a time on an inbox's stores ------------------------------------------------

@dataclasses.dataclass
class _Held:
    fd: int
    exclusive: bool
    depth: int = 1


_held: dict[str, _Held] = {}  # lock file -> how this process holds it
_held_guard = threading.Lock()


@contextmanager
def store_lock(root: str | Path, name: str = "stores", *, exclusive: bool = True, what: str = "", who: str = "",
               say: Callable[[str], None] | None = say_on_stderr) -> Iterator[None]:
    """Hold the lock `name` of the stores under `root` (an inbox's folder): exclusive for a run
    that clears and writes them, shared for one that only reads them (and writes a folder
    of its own under a lock of its own). Waits as long as it takes, saying so through `say`
    (xxgk.waiting: after 3 s, then every minute) and who holds it.

    An flock on the file `.<name>.lock` in `root`: the kernel releases it when its holder ends,
    however it ends (a killed run leaves no stale lock). Within one process the lock is held
    once and taken again freely (`xxgk run` holds it for its whole run, and the runs it
    executes in its process take it again). Stores on an object store (s3://…) are not locked:
    flock reaches no further than one machine's files.
    """
    if not is_local(root):
        yield
        return
    folder = Path(_fs(str(root))[1])
    path = str((folder / f".{name}.lock").resolve())
    with _held_guard:
        held = _held.get(path)
        if held is not None:
            if exclusive and not held.exclusive:
                raise RuntimeError(f"{path} is held shared by this process: it cannot be taken exclusive inside that")
            held.depth += 1
    if held is not None:
        try:
            yield
        finally:
            with _held_guard:
                held.depth -= 1
        return
    folder.mkdir(parents=True, exist_ok=True)
    flags = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH

    def attempt() -> int | None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, flags | fcntl.LOCK_NB)
            # the folder may have been deleted meanwhile ("delete an inbox's folder when you no
            # longer read it"): a lock on a file no longer at `path` locks nothing
            if os.fstat(fd).st_ino != os.stat(path).st_ino:
                raise BlockingIOError
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return None
        return fd

    def waiting(seconds: float) -> str:
        try:
            holder = Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            holder = ""
        return f"waiting {seconds:.0f} s for {what or root}: in use by {holder or 'another run'}"

    fd = wait_for(attempt, waiting=waiting, say=say, first_delay=0.1, max_delay=1.0)
    try:
        # who holds it, for the runs that wait (informative only: the lock is the flock)
        with suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}{', ' + who if who else ''}, since {time.strftime('%H:%M:%S')}\n"
                      .encode("utf-8", "backslashreplace"), 0)
        with _held_guard:
            held = _held[path] = _Held(fd, exclusive)
        try:
            yield
        finally:
            with _held_guard:
                del _held[path]
    finally:
        os.close(fd)  # releases the flock


# --- a dataclass as a folder: its frames as Parquet, the rest as JSON -------------------

RECORD = "record.json"


def save_record(obj, url: str | Path) -> None:
    """Write a dataclass whose fields are frames, dataclasses or JSON values into the folder `url`."""
    values, frames = {}, []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, pl.DataFrame):
            write_frame(value, join(url, f"{f.name}.parquet"))
            frames.append(f.name)
        elif dataclasses.is_dataclass(value):
            save_record(value, join(url, f.name))
            values[f.name] = {"record": f.name}
        else:
            values[f.name] = value
    kind = type(obj)
    doc = {"type": f"{kind.__module__}:{kind.__qualname__}", "frames": frames, "values": values}
    fs, path = _fs(join(url, RECORD))
    fs.makedirs(fs._parent(path), exist_ok=True)
    # a file name that is not UTF-8 (lone surrogates) is written as \udcNN escapes, and read back as it was
    text = json.dumps(doc, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc)
    with fs.open(path, "w", encoding="utf-8") as fh:  # written last: a record without it is incomplete
        fh.write(text)


def load_record(url: str | Path):
    """The dataclass :func:`save_record` wrote into the folder `url`."""
    fs, path = _fs(join(url, RECORD))
    with fs.open(path, "r", encoding="utf-8") as fh:
        doc = json.load(fh)
    module, name = doc["type"].split(":")
    if not module.split(".")[0] in ("xxgk", "assets", "pipelines"):
        raise ValueError(f"not a store of this project: {doc['type']}")
    kind = getattr(importlib.import_module(module), name)
    values = {k: load_record(join(url, v["record"])) if isinstance(v, dict) and set(v) == {"record"} else v
              for k, v in doc["values"].items()}
    values.update({name: read_frame(join(url, f"{name}.parquet")) for name in doc["frames"]})
    return kind(**values)


def earlier_record(url: str | Path, kind: type | None = None):
    """The record an earlier run wrote into the folder `url`, or None when there is none, or it
    cannot be read whole (then nothing of it is used: what it held is made again)."""
    try:
        fs, path = _fs(join(url, RECORD))
        if not fs.exists(path):
            return None
        record = load_record(url)
    except Exception:  # noqa: BLE001 (a record cut short or damaged, in any way: not trusted)
        return None
    return record if kind is None or isinstance(record, kind) else None


# --- documents as rows ----------------------------------------------------------------

def grids_path(part: str) -> str:
    """The file beside a part that holds its documents' grids."""
    return str(part).removesuffix(".parquet") + ".grids.parquet"


def write_grids(docs: list, part: str) -> None:
    """The grids of `docs` (RawDocument or NormalisedDocument) beside their rows' part."""
    columns: dict[str, list] = {name: [] for name in GRID_CELLS}
    for doc in docs:
        for g, grid in enumerate(doc.grids):
            for cell in grid.cells:
                for name, value in (("document_id", doc.document_id), ("grid", g), ("n_rows", grid.n_rows),
                                    ("n_cols", grid.n_cols), ("grid_where", grid.where), ("anchor", grid.anchor),
                                    ("grid_provenance", grid.provenance), ("row", cell.row), ("col", cell.col),
                                    ("rowspan", cell.rowspan), ("colspan", cell.colspan), ("text", cell.text),
                                    ("printed", cell.printed), ("where", cell.where), ("confidence", cell.confidence)):
                    columns[name].append(value)
    if columns["document_id"]:
        write_frame(pl.DataFrame(columns, schema=GRID_CELLS), grids_path(part))


def read_grids(part: str, document_ids: set[str] | None = None) -> dict[str, list[Grid]]:
    """{document_id: its grids, in order} from beside one part file (none if it has no grids file)."""
    path = grids_path(part)
    fs, local = _fs(path)
    if not fs.exists(local):
        return {}
    frame = read_frame(path)
    if document_ids is not None:
        frame = frame.filter(pl.col("document_id").is_in(list(document_ids)))
    out: dict[str, list[Grid]] = {}
    current: tuple[str, int] | None = None
    for r in frame.sort("document_id", "grid", "row", "col", maintain_order=True).iter_rows(named=True):
        if (r["document_id"], r["grid"]) != current:
            current = (r["document_id"], r["grid"])
            out.setdefault(r["document_id"], []).append(
                Grid(r["n_rows"], r["n_cols"], [], r["grid_where"], r["anchor"], r["grid_provenance"]))
        out[r["document_id"]][-1].cells.append(
            GridCell(r["row"], r["col"], r["text"], r["rowspan"], r["colspan"], r["where"], r["confidence"], r["printed"]))
    return out


def write_raw_rows(docs: list[RawDocument], path: str) -> str:
    columns: dict[str, list] = {name: [] for name in RAW_ROWS}
    for doc in docs:
        for n, row in enumerate(doc.rows):
            columns["document_id"].append(doc.document_id)
            columns["row"].append(n)
            columns["cells"].append(_join(row.cells))
            columns["where"].append(row.where)
            columns["confidences"].append(_confidences(row.confidences))
            columns["provenance"].append(row.provenance)
    write_grids(docs, path)
    return write_frame(pl.DataFrame(columns, schema=RAW_ROWS), path)


def read_rows(path: str, document_ids: set[str] | None = None) -> dict[str, list[dict]]:
    """{document_id: its rows as dicts, in order} of one part file (only `document_ids`, if given);
    cells (and printed) as lists, confidences as a list or None."""
    frame = read_frame(path)
    if document_ids is not None:
        frame = frame.filter(pl.col("document_id").is_in(list(document_ids)))
    out: dict[str, list[dict]] = {}
    for row in frame.sort("document_id", "row", maintain_order=True).iter_rows(named=True):
        row["cells"] = row["cells"].split(SEP)
        if "printed" in row:
            row["printed"] = row["printed"].split(SEP)
        if row["confidences"] is not None:
            row["confidences"] = json.loads(row["confidences"])
        out.setdefault(row["document_id"], []).append(row)
    return out


def raw_documents(path: str, manifest: list[dict]) -> list[RawDocument]:
    """The documents of `manifest` (rows of a raw store's manifest) from one part file."""
    rows = read_rows(path, {m["document_id"] for m in manifest})
    grids = read_grids(path, {m["document_id"] for m in manifest})
    return [
        RawDocument(
            document_id=m["document_id"],
            source_file=m["source_file"],
            format=m["format"],
            size_bytes=m["size_bytes"],
            rows=[Row(r["cells"], r["where"], r["confidences"], r["provenance"]) for r in rows.get(m["document_id"], [])],
            pages=m["pages"],
            reader=m["reader"],
            reader_check=m["reader_check"],
            grids=grids.get(m["document_id"], []),
        )
        for m in manifest
    ]


def write_normalised_rows(docs: list, path: str) -> str:
    columns: dict[str, list] = {name: [] for name in NORMALISED_ROWS}
    for doc in docs:
        for n, row in enumerate(doc.rows):
            columns["document_id"].append(doc.document_id)
            columns["row"].append(n)
            columns["cells"].append(_join([c.text for c in row.cells]))
            columns["printed"].append(_join([c.printed for c in row.cells]))
            columns["where"].append(row.where)
            columns["confidences"].append(_confidences(row.confidences))
            columns["provenance"].append(row.provenance)
    write_grids(docs, path)
    return write_frame(pl.DataFrame(columns, schema=NORMALISED_ROWS), path)


def normalised_documents(path: str, manifest: list[dict]) -> list:
    """The NormalisedDocuments of `manifest` (rows of a normalised store's manifest) from one part file."""
    rows = read_rows(path, {m["document_id"] for m in manifest})
    grids = read_grids(path, {m["document_id"] for m in manifest})
    return [
        NormalisedDocument(
            document_id=m["document_id"],
            source_file=m["source_file"],
            format=m["format"],
            size_bytes=m["size_bytes"],
            agency=m["agency"],
            year=m["year"],
            format_version=m["format_version"],
            rows=[NormalisedRow([Cell(t, p) for t, p in zip(r["cells"], r["printed"])], r["where"], r["confidences"],
                                r["provenance"]) for r in rows.get(m["document_id"], [])],
            pages=m["pages"],
            reader=m["reader"],
            reader_check=m["reader_check"],
            grids=grids.get(m["document_id"], []),
        )
        for m in manifest
    ]
