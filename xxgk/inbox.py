"""Stage 1 at scale: every file of the inbox read into a raw store, in worker processes.

Files go to the workers in chunks; each worker reads its files (xxgk.documents) and writes
their rows to one part file of the store, returning only a manifest row per document. The
caller never holds more than the manifest, so memory does not grow with the inbox. Pages
that are images come back whole and are OCR'd together at the end, every page of every
scanned document in one pool (xxgk.readers.pdf.ocr_documents).

The same bytes under two names are one document: the first path (in inbox order) is the
document, the others are listed as its duplicate files.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import polars as pl

from xxgk.budget import Budget
from xxgk.documents import DEFAULT_MAX_BYTES, RawDocument, _read_one, document_id, file_format, fingerprint
from xxgk.extract.trust import reading_facts
from xxgk.listing import display_name
from xxgk.model import Rejection, transient
from xxgk.parallel import Isolation, run_stage
from xxgk.readers.pdf import ocr_documents
from xxgk.staging import Intact, digests, grids_path, join, write_raw_rows

MANIFEST = {
    "document_id": pl.String,
    "source_file": pl.String,
    "format": pl.String,
    "size_bytes": pl.Int64,
    "pages": pl.Int32,
    "reader": pl.String,
    "reader_check": pl.String,
    "part": pl.String,  # the part file that holds the document's rows
}


@dataclass
class RawStore:
    """Documents read from the inbox; their rows are in the part files under `folder` (a URL)."""

    folder: str
    documents: pl.DataFrame  # MANIFEST, one row per document, in inbox order
    rejected: list[dict]  # document_id, source_file, stage, year, reason
    duplicate_files: dict[str, list[str]]  # document_id -> other paths with the same bytes
    files_seen: int
    # What a later run of the same inbox needs to use these readings again instead of reading the
    # files (read_inbox's `previous`): the code and settings that read them (xxgk.code_version.key),
    # the sha256 of every part file as written, and each file's [size, mtime_ns, ctime_ns, sha256].
    cache_key: str = ""
    checksums: dict[str, str] = field(default_factory=dict)
    fingerprints: dict[str, list] = field(default_factory=dict)
    files_read: int = 0  # files the readers were given in this run (the others were read before)


def _manifest_row(doc: RawDocument, part: str) -> dict:
    return {"document_id": doc.document_id, "source_file": doc.source_file, "format": doc.format,
            "size_bytes": doc.size_bytes, "pages": doc.pages, "reader": doc.reader, "reader_check": doc.reader_check,
            "part": str(part)}


class ReadTask(NamedTuple):
    """Files a worker reads into one part file: _read_chunk's arguments."""
    chunk: str
    rows: list[tuple[int, Path]]  # (inbox index, path) of each file
    folder: str
    max_bytes: int
    verify_share: float
    budget: Budget | None = None


def _read_chunk(chunk: str, items: list[tuple[int, Path]], folder: str, max_bytes: int, verify_share: float,
                budget: Budget | None = None):
    """Read a chunk of files; write their rows to one part. Runs in a worker process.

    Returns (manifest rows with the file's inbox index, documents left for OCR, rejections,
    {part file: sha256}, {file: fingerprint}).
    """
    part = join(folder, f"raw-{chunk}.parquet")
    written: list[RawDocument] = []
    manifest, scanned, rejected = [], [], []
    prints: dict[str, list] = {}
    ids: set[str] = set()
    for index, path in items:
        before = fingerprint(path, max_bytes)
        result = _read_one(path, max_bytes, verify_share, reading_facts, budget)
        if before is not None and result_id(result) == before[3][:16]:  # the bytes read are the bytes hashed
            prints[str(path)] = before
        if isinstance(result, dict):
            rejected.append((index, result))
        elif result.document_id in ids:  # the same bytes twice in this chunk: noted as a duplicate by the caller
            manifest.append((index, _manifest_row(result, part)))
        elif result.ocr_pages:
            scanned.append((index, result))
        else:
            ids.add(result.document_id)
            written.append(result)
            manifest.append((index, _manifest_row(result, part)))
    if written:
        write_raw_rows(written, part)
    return manifest, scanned, rejected, digests([part, grids_path(part)]) if written else {}, prints


def result_id(result: RawDocument | dict) -> str:
    return result["document_id"] if isinstance(result, dict) else result.document_id


def _file_id(path: Path, max_bytes: int) -> str:
    """The document id of a file that could not be read (by its bytes when they can be had)."""
    try:
        if path.stat().st_size <= max_bytes:
            return document_id(path.read_bytes())
    except OSError:
        pass
    return document_id(str(path).encode(errors="surrogateescape"))


def _chunk_isolation(budget: Budget) -> Isolation:
    def split(task: ReadTask) -> list[ReadTask]:
        return [task._replace(chunk=f"{task.chunk}-{k:03d}", rows=[row]) for k, row in enumerate(task.rows)
                ] if len(task.rows) > 1 else [task]

    def failed(task: ReadTask, reason: str):
        index, path = task.rows[0]
        return [], [], [(index, Rejection(_file_id(path, task.max_bytes), display_name(path), "ingestion", reason).record())], {}, {}

    return Isolation(split, failed, budget.worker_memory_mb, budget.document_seconds, in_workers=True)


def _ocr_isolated(scanned: list[RawDocument], workers: int, budget: Budget, progress) -> tuple[list, list[dict]]:
    """OCR every scanned document together; if that fails, one document at a time, so that
    only a document that fails alone is rejected."""
    try:
        return ocr_documents(scanned, reading_facts, workers=workers, progress=progress,
                             document_seconds=budget.document_seconds)
    except (Exception, MemoryError):  # noqa: BLE001 (isolation: which document is found below)
        pass
    docs, failed = [], []
    for doc in scanned:
        try:
            with budget.deadline():
                ok, bad = ocr_documents([doc], reading_facts, workers=workers, progress=progress,
                                        document_seconds=budget.document_seconds)
            docs += ok
            failed += bad
        except BaseException as exc:  # noqa: BLE001 (OverTime, MemoryError, a dead OCR worker...)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            reason = getattr(exc, "reason", None) or f"OCR failed: {type(exc).__name__}: {str(exc)[:200]}"
            failed.append(Rejection(doc.document_id, doc.source_file, "ingestion", reason).record())
    return docs, failed


class _Earlier:
    """What an earlier run's raw store of the same inbox, read by the same code with the same
    settings, already knows: a file whose bytes it read (or rejected for a reason that will not
    change) is not read again. A file is known by its sha256 (and the format its name gives it),
    taken from the store's fingerprints while its size and times are the same, else hashed; a
    reading is used only while its part files are intact (Intact: hashed, compared with the
    digests recorded when they were written)."""

    def __init__(self, store: RawStore, max_bytes: int):
        self.store, self.max_bytes = store, max_bytes
        self.documents = {(r["document_id"], r["format"]): r for r in store.documents.iter_rows(named=True)}
        self.rejected = {(r["document_id"], Path(r["source_file"]).suffix.lower()): r for r in store.rejected
                         if r["stage"] == "ingestion" and not transient(r["reason"])}
        self.intact = Intact(store.checksums)

    def lookup(self, path: Path) -> tuple[str, dict, list] | None:
        """("document", manifest row, fingerprint) or ("rejected", rejection, fingerprint), or None."""
        try:
            st = path.stat()
        except OSError:
            return None
        if not 0 < st.st_size <= self.max_bytes:
            return None  # read (rejected) at once, never kept
        known = self.store.fingerprints.get(str(path))
        if known and known[:3] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns]:
            printed = known
        else:
            printed = fingerprint(path, self.max_bytes)
            if printed is None:
                return None
        doc_id = printed[3][:16]
        row = self.documents.get((doc_id, file_format(path)))
        if row is not None and self.intact(row["part"]):
            return "document", row, printed
        rejection = self.rejected.get((doc_id, path.suffix.lower()))
        if rejection is not None:
            return "rejected", rejection, printed
        return None


def read_inbox(paths: list[Path], folder: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, workers: int = 1,
               verify_share: float = 0.0, chunk_size: int = 16, budget: Budget | None = None,
               skipped: list[tuple[str, str]] = (),
               progress: Callable[[int, int, str], None] | None = None,
               ocr_progress: Callable[[int, int, tuple], None] | None = None,
               previous: RawStore | None = None, cache_key: str = "") -> RawStore:
    """Read every file into a raw store under `folder` (a local path or an fsspec URL); bad files
    are rejected with their reason, and so is every entry of `skipped` (display name, reason:
    what the inbox listing left out).

    `previous`: the raw store an earlier run wrote for this inbox; when it was made under the
    same `cache_key` (the code and the settings that change a reading), the files whose bytes
    it holds are not read again: their rows stay in its part files, which the new store
    references (so the caller must not remove them)."""
    budget = budget or Budget()
    folder = str(folder)
    earlier = _Earlier(previous, max_bytes) if previous is not None and cache_key and previous.cache_key == cache_key else None
    manifest, rejected = [], []
    checksums: dict[str, str] = {}
    fingerprints: dict[str, list] = {}
    items = []
    for index, path in enumerate(paths):
        known = earlier.lookup(path) if earlier is not None else None
        if known is None:
            items.append((index, path))
            continue
        kind, row, printed = known
        fingerprints[str(path)] = printed
        if kind == "document":
            manifest.append((index, {**row, "source_file": display_name(path)}))
            checksums.update({f: earlier.store.checksums[f] for f in (row["part"], grids_path(row["part"]))
                              if f in earlier.store.checksums})
        else:
            rejected.append((index, {**row, "source_file": display_name(path)}))
    # this run's part files are named apart from the earlier runs' it still uses
    run = uuid.uuid4().hex[:8]
    size = max(1, min(chunk_size, -(-len(items) // (4 * max(workers, 1)))))
    tasks = [ReadTask(f"{n:06d}-{run}", items[i : i + size], folder, max_bytes, verify_share, budget)
             for n, i in enumerate(range(0, len(items), size))]
    rows, scanned, bad, sums, prints = run_stage(_read_chunk, tasks, workers, _chunk_isolation(budget), 5, progress,
                                                 lambda item: display_name(item[1]))
    manifest += rows
    rejected += bad
    checksums.update(sums)
    fingerprints.update(prints)
    if scanned:
        docs, failed = _ocr_isolated([doc for _, doc in scanned], workers, budget, ocr_progress)
        index_of = {doc.document_id: index for index, doc in scanned}
        failed_ids = {f["document_id"] for f in failed}
        rejected += [(index_of[f["document_id"]], f) for f in failed]
        # the same scan twice: one document, read once
        by_id = {doc.document_id: doc for doc in docs}
        part = join(folder, f"raw-ocr-{run}.parquet")
        if by_id:
            write_raw_rows(list(by_id.values()), part)
            checksums.update(digests([part, grids_path(part)]))
        manifest += [(index, _manifest_row(by_id[doc.document_id], part)) for index, doc in scanned
                     if doc.document_id not in failed_ids]
    documents: dict[str, dict] = {}
    duplicates: dict[str, list[str]] = {}
    for _, row in sorted(manifest, key=lambda x: x[0]):
        if row["document_id"] in documents:
            duplicates.setdefault(row["document_id"], []).append(row["source_file"])
        else:
            documents[row["document_id"]] = row
    not_listed = [Rejection(document_id(name.encode()), name, "ingestion", reason).record() for name, reason in skipped]
    rejected_files = same_bytes_as_read(documents, duplicates, [r for _, r in sorted(rejected, key=lambda x: x[0])])
    return RawStore(
        folder=folder,
        documents=pl.DataFrame(list(documents.values()), schema=MANIFEST),
        rejected=not_listed + rejected_files,
        duplicate_files=duplicates,
        files_seen=len(paths) + len(skipped),
        cache_key=cache_key,
        checksums={k: v for k, v in checksums.items() if k in _referenced(documents.values())},
        fingerprints=fingerprints,
        files_read=len(items),
    )


def _referenced(rows) -> set[str]:
    parts = {r["part"] for r in rows}
    return parts | {grids_path(p) for p in parts}


def same_bytes_as_read(documents: dict[str, dict], duplicates: dict[str, list[str]], rejected: list[dict]) -> list[dict]:
    """The rejections left once a file rejected for its name (a suffix not read, say) but holding
    the bytes of a document that was read is listed among that document's duplicate files: the
    warehouse drops the rejections of loaded documents, and the file would be in neither list."""
    kept = []
    for r in rejected:
        if r["document_id"] in documents and r["stage"] == "ingestion":
            duplicates.setdefault(r["document_id"], []).append(r["source_file"])
        else:
            kept.append(r)
    return kept
