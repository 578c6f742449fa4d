"""Extraction of a whole statistics year."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import polars as pl

from xxgk.choice import DIFFERENCE_SCHEMA, choose_documents, version_differences
from xxgk.extract.cells import STATEMENT_SCHEMA
from xxgk.extract.tables import CELL_SCHEMA, WARNING_SCHEMA, extract_report
from xxgk.model import Rejection, transient
from xxgk.normalise import NormalisedDocument
from xxgk.parallel import group_parts, per_document, run_stage, task_documents
from xxgk.staging import Intact, digests, join, normalised_documents, read_frames, scan_frames, write_frame

REPORT_COLUMNS = {"agency": pl.String, "year": pl.Int32, "format_version": pl.String}
DOCUMENT_SCHEMA = {
    "document_id": pl.String,
    "source_file": pl.String,
    "duplicate_files": pl.String,
    "format": pl.String,
    "size_bytes": pl.Int64,
    "pages": pl.Int32,
    "reader": pl.String,
    "reader_check": pl.String,
    **REPORT_COLUMNS,
    "cells": pl.Int32,
    "cells_read": pl.Int32,
    "warnings": pl.Int32,
    "status": pl.String,
}
CELLS_SCHEMA = {**CELL_SCHEMA, **REPORT_COLUMNS}
WARNINGS_SCHEMA = {**WARNING_SCHEMA, "agency": pl.String, "year": pl.Int32}
REJECTED_SCHEMA = {"document_id": pl.String, "source_file": pl.String, "stage": pl.String, "year": pl.Int32, "reason": pl.String}


@dataclass
class YearTables:
    """The extracted tables of one statistics year.

    The cells are in memory (a frame) or, at scale, in part files that are read a batch
    of documents at a time; :attr:`cells` is a lazy view of either.
    """

    year: int
    # every usable document of the year (DOCUMENT_SCHEMA), its status the provisional choice (xxgk.choice)
    documents: pl.DataFrame
    cells_source: pl.DataFrame | list[str]  # one row per cell, of every document (CELL_SCHEMA + REPORT_COLUMNS)
    warnings: pl.DataFrame  # WARNING_SCHEMA + agency, year
    rejected: pl.DataFrame  # documents with none of the three tables (REJECTED_SCHEMA)
    # cells where a superseded version disagrees with the chosen one (DIFFERENCE_SCHEMA): once rechosen
    differences: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DIFFERENCE_SCHEMA))
    # what every document states in prose, against its tables (STATEMENT_SCHEMA); empty in stores written before
    statements: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STATEMENT_SCHEMA))
    # for a later run (extract_store's `previous`): the code that made it, the sha256 of its cells
    # parts as written; documents extracted in this run (not taken from before)
    cache_key: str = ""
    checksums: dict[str, str] = field(default_factory=dict)
    extracted: int = 0

    @property
    def cells(self) -> pl.LazyFrame:
        if isinstance(self.cells_source, pl.DataFrame):
            return self.cells_source.lazy()
        return scan_frames(self.cells_source, CELLS_SCHEMA)

    def cell_batches(self, max_documents: int = 1000):
        """The cells in frames of at most about `max_documents` documents (whole documents)."""
        if isinstance(self.cells_source, pl.DataFrame):
            ids = self.cells_source["document_id"].unique(maintain_order=True).to_list()
            for i in range(0, len(ids), max_documents):
                yield self.cells_source.filter(pl.col("document_id").is_in(ids[i : i + max_documents]))
            return
        per_part = self.documents.group_by("part").len() if "part" in self.documents.columns else None
        sizes = dict(per_part.iter_rows()) if per_part is not None else {}
        group, count = [], 0
        for part in self.cells_source:
            group.append(part)
            count += sizes.get(part, 1)
            if count >= max_documents:
                yield read_frames(group, CELLS_SCHEMA)
                group, count = [], 0
        if group:
            yield read_frames(group, CELLS_SCHEMA)

    def rechoose(self, violations_per_document: pl.DataFrame) -> YearTables:
        """The provisional choice again, now that the identity gates know which versions add up
        (their violations go to the warehouse, which chooses among every version it knows)."""
        ranked = self.documents.drop("violations", strict=False).join(
            violations_per_document.select("document_id", pl.col("violations").cast(pl.Int32)), on="document_id", how="left"
        )
        documents = choose_documents(ranked.with_columns(pl.col("violations").fill_null(0)))
        return YearTables(self.year, documents, self.cells_source, self.warnings, self.rejected,
                          version_differences(documents, self.cells), self.statements)

    def chosen(self) -> pl.DataFrame:
        return self.documents.filter(pl.col("status") == "loaded")


def no_cells_reason(warnings: list[dict]) -> str:
    """Why a report gave no cell: its tables were not found, or found and not read (and how)."""
    missing = {w["table_name"] for w in warnings if w["kind"] == "missing_table"}
    if len(missing) == 3:
        return "a report with no tables: none of the tables of sections 二, 三, 四 was found"
    kinds = sorted({w["kind"] for w in warnings if w["kind"] != "missing_table"})
    return (f"tables found ({3 - len(missing)} of 3 sections), but no cell of them could be read: "
            + (", ".join(kinds) if kinds else "no row label of the template was recognised"))


def extract_documents(docs: list[NormalisedDocument], duplicate_files: dict[str, list[str]] | None = None,
                      progress=None) -> tuple[pl.DataFrame, pl.DataFrame, list[dict], list[dict], pl.DataFrame]:
    """(cells, warnings, document rows, rejections, statements) of the documents, all of one year."""
    duplicate_files = duplicate_files or {}
    cell_frames, warning_frames, rows, rejected, statements = [], [], [], [], []
    for n, doc in enumerate(docs, start=1):
        extraction = extract_report(doc)
        meta = {"agency": doc.agency, "year": doc.year, "format_version": doc.format_version}
        cells = extraction.cells_frame()
        if cells.is_empty():
            rejected.append(Rejection(doc.document_id, doc.source_file, "extraction", no_cells_reason(extraction.warnings),
                                      doc.year).record())
            continue
        cell_frames.append(cells.with_columns(*(pl.lit(v, dtype=REPORT_COLUMNS[k]).alias(k) for k, v in meta.items())))
        warning_frames.append(extraction.warnings_frame().with_columns(
            pl.lit(doc.agency, dtype=pl.String).alias("agency"), pl.lit(doc.year, dtype=pl.Int32).alias("year")))
        statements += extraction.statements
        rows.append({
            "document_id": doc.document_id,
            "source_file": doc.source_file,
            "duplicate_files": "; ".join(duplicate_files.get(doc.document_id, [])) or None,
            "format": doc.format,
            "size_bytes": doc.size_bytes,
            "pages": doc.pages,
            "reader": doc.reader,
            "reader_check": "; ".join(filter(None, [doc.reader_check, *extraction.notes])) or None,
            **meta,
            "cells": cells.height,
            "cells_read": cells.filter(pl.col("cell_status").is_in(["read", "converted"])).height,
            # the reading's own warnings rank versions; the prose disagreeing with the tables is a
            # finding about the report, not about the reading (a corrected table keeps its old prose)
            "warnings": sum(w["kind"] != "narrative_mismatch" for w in extraction.warnings),
            "status": "",
        })
        if progress:
            progress(n, len(docs), doc.source_file)
    cells = pl.concat(cell_frames) if cell_frames else pl.DataFrame(schema=CELLS_SCHEMA)
    warnings = pl.concat(warning_frames) if warning_frames else pl.DataFrame(schema=WARNINGS_SCHEMA)
    return cells, warnings, rows, rejected, pl.DataFrame(statements, schema=STATEMENT_SCHEMA)


class ExtractTask(NamedTuple):
    """Normalised parts a worker extracts: _extract_parts's arguments."""
    parts: list[str]
    rows: list[dict]  # their manifest rows
    folder: str
    duplicates: dict[str, list[str]]  # of these documents


def _extract_parts(parts: list[str], manifest: list[dict], folder: str, duplicate_files: dict[str, list[str]]):
    """Extract the documents of some normalised parts; write their cells. Runs in a worker process."""
    by_part: dict[str, list[dict]] = {}
    for m in manifest:
        by_part.setdefault(m["part"], []).append(m)
    docs = [doc for part in parts for doc in normalised_documents(part, by_part[part])]
    cells, warnings, rows, rejected, statements = extract_documents(docs, duplicate_files)
    out = None
    if cells.height:
        # named by the first document too: a task run again one document at a time writes apart
        out = write_frame(cells, join(folder, f"cells-{parts[0].rstrip('/').rpartition('/')[2].removesuffix('.parquet')}-{manifest[0]['document_id'][:8]}.parquet"))
    return out, warnings, [{**r, "part": out} for r in rows], rejected, statements, digests([out]) if out else {}


def extract_store(store, year: int, folder: str | Path, *, workers: int = 1, progress=None, budget=None,
                  previous: YearTables | None = None, cache_key: str = "") -> YearTables:
    """The tables of `year` of a normalised store (xxgk.normalise.NormalisedStore), whole parts per
    task; the cells stay in part files under `folder` (a local path or an fsspec URL).

    `previous`: the year's tables an earlier run wrote; made under the same `cache_key` (the
    code), the documents it extracted are taken as they are (cells, warnings, rejection), as
    long as every document of their cells part is still of the year and the part is intact."""
    folder = str(folder)
    mine = store.documents.filter(pl.col("year") == year)
    parts, warning_frames, rows, rejected, statement_frames = [], [], [], [], []
    checksums: dict[str, str] = {}
    if previous is not None and cache_key and previous.cache_key == cache_key:
        kept = _earlier(mine, store.duplicate_files, previous)
        parts += kept[0]
        warning_frames.append(kept[1])
        rows += kept[2]
        rejected += kept[3]
        checksums.update(kept[4])
        statement_frames.append(kept[5])
        mine = mine.filter(~pl.col("document_id").is_in([r["document_id"] for r in [*kept[2], *kept[3]]]))
    tasks = []
    for task_parts, task_rows in group_parts(mine, task_documents(mine.height, workers)):
        duplicates = {r["document_id"]: store.duplicate_files[r["document_id"]] for r in task_rows if r["document_id"] in store.duplicate_files}
        tasks.append(ExtractTask(task_parts, task_rows, folder, duplicates))

    def failed(task: ExtractTask, reason: str):
        m = task.rows[0]
        return (None, pl.DataFrame(schema=WARNINGS_SCHEMA), [], [Rejection(m["document_id"], m["source_file"], "extraction", reason, year).record()],
                pl.DataFrame(schema=STATEMENT_SCHEMA), {})

    cells_parts, warnings, part_rows, part_rejected, part_statements, sums = run_stage(
        _extract_parts, tasks, workers, per_document(failed, budget), 6, progress)
    parts += filter(None, cells_parts)
    warning_frames += warnings
    statement_frames += part_statements
    rows += part_rows
    rejected += part_rejected
    checksums.update(sums)
    # not chosen among: a shard holds only some of the year's versions (xxgk.shards.merge_tables chooses)
    documents = pl.DataFrame(rows, schema={**DOCUMENT_SCHEMA, "part": pl.String})
    warnings = pl.concat(warning_frames) if warning_frames else pl.DataFrame(schema=WARNINGS_SCHEMA)
    parts.sort()
    statements = pl.concat(statement_frames) if statement_frames else pl.DataFrame(schema=STATEMENT_SCHEMA)
    return YearTables(year, documents, parts, warnings.sort("document_id", "location", maintain_order=True),
                      pl.DataFrame(rejected, schema=REJECTED_SCHEMA).sort("source_file"),
                      statements=statements.sort("document_id", "statement_no"), cache_key=cache_key,
                      checksums={p: checksums[p] for p in parts if p in checksums}, extracted=mine.height)


def _earlier(mine: pl.DataFrame, duplicate_files: dict[str, list[str]], previous: YearTables):
    """What `previous` extracted of the year's documents `mine`: (cells parts, warnings, document
    rows, rejections, checksums, statements). A part is taken whole, so only when every document of it is
    still among `mine`: the cells of a document gone from the inbox must not come back with it."""
    now = {(r["document_id"], r["format"]): r for r in mine.iter_rows(named=True)}
    by_part: dict[str, list[dict]] = {}
    for r in previous.documents.iter_rows(named=True):
        by_part.setdefault(r["part"], []).append(r)
    intact = Intact(previous.checksums)
    keep = [r for part, docs in by_part.items()
            if part is not None and all((d["document_id"], d["format"]) in now for d in docs) and intact(part) for r in docs]
    now = {doc_id: r for (doc_id, _), r in now.items()}
    rows = [{**r, "source_file": now[r["document_id"]]["source_file"],
             "duplicate_files": "; ".join(duplicate_files.get(r["document_id"], [])) or None, "status": ""} for r in keep]
    ids = [r["document_id"] for r in rows]
    warnings = previous.warnings.filter(pl.col("document_id").is_in(ids))
    rejected = [{**r, "source_file": now[r["document_id"]]["source_file"]} for r in previous.rejected.iter_rows(named=True)
                if r["document_id"] in now and r["stage"] == "extraction" and not transient(r["reason"])
                and Path(r["source_file"]).suffix.lower() == Path(now[r["document_id"]]["source_file"]).suffix.lower()]
    parts = sorted({r["part"] for r in keep})
    statements = previous.statements.filter(pl.col("document_id").is_in(ids))
    return parts, warnings, rows, rejected, {p: previous.checksums[p] for p in parts}, statements
