"""Stage 1 at scale: every file of the inbox read into a raw store, in worker processes.

Files go to the workers in chunks; each worker reads its files (xxgk.documents) and writes
their rows to one part file of the store, returning only a manifest row per document. The
caller never holds more than the manifest, so memory does not grow with the inbox. Pages
that are images come back whole and are OCR'd together at the end, every page of every
scanned document in one pool (xxgk.pdf.ocr_documents).

The same bytes under two names are one document: the first path (in inbox order) is the
document, the others are listed as its duplicate files.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from xxgk.budget import Budget
from xxgk.documents import DEFAULT_MAX_BYTES, RawDocument, _read_one, _rejection, document_id
from xxgk.extract.trust import reading_facts
from xxgk.listing import display_name
from xxgk.parallel import Isolation, run_tasks
from xxgk.pdf import ocr_documents
from xxgk.staging import join, raw_documents, write_raw_rows

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


def _manifest_row(doc: RawDocument, part: str) -> dict:
    return {"document_id": doc.document_id, "source_file": doc.source_file, "format": doc.format,
            "size_bytes": doc.size_bytes, "pages": doc.pages, "reader": doc.reader, "reader_check": doc.reader_check,
            "part": str(part)}


def _read_chunk(chunk: str, items: list[tuple[int, Path]], folder: str, max_bytes: int, verify_share: float,
                budget: Budget | None = None):
    """Read a chunk of files; write their rows to one part. Runs in a worker process.

    Returns (manifest rows with the file's inbox index, documents left for OCR, rejections).
    """
    part = join(folder, f"raw-{chunk}.parquet")
    written: list[RawDocument] = []
    manifest, scanned, rejected = [], [], []
    ids: set[str] = set()
    for index, path in items:
        result = _read_one(path, max_bytes, verify_share, reading_facts, budget)
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
    return manifest, scanned, rejected


def _file_id(path: Path, max_bytes: int) -> str:
    """The document id of a file that could not be read (by its bytes when they can be had)."""
    try:
        if path.stat().st_size <= max_bytes:
            return document_id(path.read_bytes())
    except OSError:
        pass
    return document_id(str(path).encode(errors="surrogateescape"))


def _chunk_isolation(budget: Budget) -> Isolation:
    def split(task: tuple) -> list[tuple]:
        chunk, items, *rest = task
        return [(f"{chunk}-{k:03d}", [item], *rest) for k, item in enumerate(items)] if len(items) > 1 else [task]

    def failed(task: tuple, reason: str):
        (index, path), max_bytes = task[1][0], task[3]
        return [], [], [(index, _rejection(_file_id(path, max_bytes), display_name(path), reason))]

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
            failed.append({"document_id": doc.document_id, "source_file": doc.source_file, "reason": reason})
    return docs, failed


def read_inbox(paths: list[Path], folder: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES, workers: int = 1,
               verify_share: float = 0.0, chunk_size: int = 16, budget: Budget | None = None,
               skipped: list[tuple[str, str]] = (),
               progress: Callable[[int, int, str], None] | None = None,
               ocr_progress: Callable[[int, int, tuple], None] | None = None) -> RawStore:
    """Read every file into a raw store under `folder` (a local path or an fsspec URL); bad files
    are rejected with their reason, and so is every entry of `skipped` (display name, reason:
    what the inbox listing left out)."""
    budget = budget or Budget()
    folder = str(folder)
    items = list(enumerate(paths))
    size = max(1, min(chunk_size, -(-len(items) // (4 * max(workers, 1)))))
    tasks = [(f"{n:06d}", items[i : i + size], folder, max_bytes, verify_share, budget)
             for n, i in enumerate(range(0, len(items), size))]
    manifest, scanned, rejected = [], [], []
    done = 0
    for task, (rows, ocr, bad) in run_tasks(_read_chunk, tasks, workers, documents=len(items),
                                            isolation=_chunk_isolation(budget)):
        manifest += rows
        scanned += ocr
        rejected += bad
        done += len(task[1])
        if progress:
            progress(done, len(items), display_name(task[1][-1][1]))
    if scanned:
        docs, failed = _ocr_isolated([doc for _, doc in scanned], workers, budget, ocr_progress)
        index_of = {doc.document_id: index for index, doc in scanned}
        failed_ids = {f["document_id"] for f in failed}
        rejected += [(index_of[f["document_id"]], _rejection(f["document_id"], f["source_file"], f["reason"])) for f in failed]
        # the same scan twice: one document, read once
        by_id = {doc.document_id: doc for doc in docs}
        part = join(folder, "raw-ocr.parquet")
        if by_id:
            write_raw_rows(list(by_id.values()), part)
        manifest += [(index, _manifest_row(by_id[doc.document_id], part)) for index, doc in scanned
                     if doc.document_id not in failed_ids]
    documents: dict[str, dict] = {}
    duplicates: dict[str, list[str]] = {}
    for _, row in sorted(manifest, key=lambda x: x[0]):
        if row["document_id"] in documents:
            duplicates.setdefault(row["document_id"], []).append(row["source_file"])
        else:
            documents[row["document_id"]] = row
    not_listed = [_rejection(document_id(name.encode()), name, reason) for name, reason in skipped]
    rejected_files = same_bytes_as_read(documents, duplicates, [r for _, r in sorted(rejected, key=lambda x: x[0])])
    return RawStore(
        folder=folder,
        documents=pl.DataFrame(list(documents.values()), schema=MANIFEST),
        rejected=not_listed + rejected_files,
        duplicate_files=duplicates,
        files_seen=len(paths) + len(skipped),
    )


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


@dataclass
class Ingested:
    """An inbox read into memory."""

    documents: list[RawDocument]
    rejected: list[dict]
    duplicate_files: dict[str, list[str]]
    files_seen: int


def ingest(paths: list[Path], *, max_bytes: int = DEFAULT_MAX_BYTES, workers: int = 1, verify_share: float = 0.0) -> Ingested:
    """Every file read into memory, for small inboxes and tests: :func:`read_inbox` into a
    temporary store, read back in inbox order."""
    with tempfile.TemporaryDirectory(prefix="xxgk-ingest-") as tmp:
        store = read_inbox(paths, Path(tmp), max_bytes=max_bytes, workers=workers, verify_share=verify_share)
        by_id = {}
        for (part,), frame in store.documents.partition_by("part", as_dict=True).items():
            by_id.update((d.document_id, d) for d in raw_documents(part, frame.to_dicts()))
    documents = [by_id[i] for i in store.documents["document_id"]]
    return Ingested(documents, store.rejected, store.duplicate_files, store.files_seen)
