"""A stage's work cut into shards, and the shards' stores put back together.

Each shard is read, normalised or extracted on its own (a step that an executor can send to
another machine) into its own part files; the merge only concatenates manifests and decides
what needs the whole inbox or the whole year: which file of identical bytes is the document,
and which document of an agency-year is loaded.
"""
from __future__ import annotations

from pathlib import Path

import polars as pl

from xxgk.choice import choose_documents
from xxgk.extract.cells import STATEMENT_SCHEMA
from xxgk.extract.year import DOCUMENT_SCHEMA, REJECTED_SCHEMA, WARNINGS_SCHEMA, YearTables
from xxgk.inbox import MANIFEST, RawStore, same_bytes_as_read
from xxgk.normalise import NormalisedStore
from xxgk.parallel import group_parts


def file_shards(paths: list[Path], size: int) -> list[list[str]]:
    """The inbox's files, in inbox order, `size` to a shard; one empty shard for an empty inbox
    (so that the stage still writes its, empty, store)."""
    files = [str(p) for p in paths]
    return [files[i : i + size] for i in range(0, len(files), size)] or [[]]


def merge_raw(shards: list[RawStore], folder: str) -> RawStore:
    """The raw stores of the shards (in inbox order) as one: the same bytes in two shards are
    one document, the first file in inbox order, as within a shard."""
    documents: dict[str, dict] = {}
    duplicates: dict[str, list[str]] = {}
    for shard in shards:
        for row in shard.documents.iter_rows(named=True):
            if row["document_id"] in documents:
                duplicates.setdefault(row["document_id"], []).append(row["source_file"])
            else:
                documents[row["document_id"]] = row
        for doc, files in shard.duplicate_files.items():
            duplicates.setdefault(doc, []).extend(files)
    return RawStore(
        folder=folder,
        documents=pl.DataFrame(list(documents.values()), schema=MANIFEST),
        rejected=same_bytes_as_read(documents, duplicates, [r for shard in shards for r in shard.rejected]),
        duplicate_files=duplicates,
        files_seen=sum(shard.files_seen for shard in shards),
        cache_key=shards[0].cache_key if shards and all(s.cache_key == shards[0].cache_key for s in shards) else "",
        checksums={k: v for shard in shards for k, v in shard.checksums.items()},
        fingerprints={k: v for shard in shards for k, v in shard.fingerprints.items()},
        files_read=sum(shard.files_read for shard in shards),
    )


def _sub_store(kind, store, rows: list[dict], schema) -> RawStore | NormalisedStore:
    ids = {r["document_id"] for r in rows}
    return kind(store.folder, pl.DataFrame(rows, schema=schema), [],
                {d: f for d, f in store.duplicate_files.items() if d in ids}, 0, cache_key=store.cache_key)


def raw_shards(raw: RawStore, size: int) -> list[RawStore]:
    """The documents of a raw store in shards of whole part files, at least `size` documents each."""
    shards = [_sub_store(RawStore, raw, rows, raw.documents.schema) for _, rows in group_parts(raw.documents, size)]
    return shards or [_sub_store(RawStore, raw, [], raw.documents.schema)]


def merge_normalised(raw: RawStore, shards: list[NormalisedStore], folder: str) -> NormalisedStore:
    """The shards' normalised stores as one, in the raw store's order; every rejection so far."""
    order = {d: i for i, d in enumerate(raw.documents["document_id"])}
    documents = pl.concat([s.documents for s in shards], how="vertical") if shards else None
    if documents is None or documents.is_empty():
        schema = {**raw.documents.schema, "agency": pl.String, "year": pl.Int32, "format_version": pl.String}
        documents = pl.DataFrame(schema=schema)
    documents = documents.with_columns(pl.col("document_id").replace_strict(order, default=None).alias("_order")) \
        .sort("_order").drop("_order")
    rejected = list(raw.rejected) + [r for s in shards for r in s.rejected]
    rejected.sort(key=lambda r: (r["stage"] != "ingestion", r["source_file"]))
    keys = {s.cache_key for s in shards}
    return NormalisedStore(folder, documents, rejected, raw.duplicate_files, raw.files_seen,
                           keys.pop() if len(keys) == 1 else "", {k: v for s in shards for k, v in s.checksums.items()},
                           sum(s.normalised for s in shards), raw.files_read)


def year_shards(store: NormalisedStore, year: int, size: int) -> list[NormalisedStore]:
    """The documents of `year` of a normalised store in shards of whole part files."""
    mine = store.documents.filter(pl.col("year") == year)
    shards = [_sub_store(NormalisedStore, store, rows, mine.schema) for _, rows in group_parts(mine, size)]
    return shards or [_sub_store(NormalisedStore, store, [], mine.schema)]


def merge_tables(year: int, shards: list[YearTables]) -> YearTables:
    """The shards' tables as one year, with the provisional choice of a document per agency-year
    among all shards (xxgk.choice)."""
    schema = {**DOCUMENT_SCHEMA, "part": pl.String}
    documents = pl.concat([s.documents.select(schema.keys()).cast(schema) for s in shards]) if shards else pl.DataFrame(schema=schema)
    documents = choose_documents(documents)
    parts = sorted(p for s in shards for p in s.cells_source)
    warnings = pl.concat([s.warnings for s in shards]) if shards else pl.DataFrame(schema=WARNINGS_SCHEMA)
    rejected = pl.concat([s.rejected for s in shards]) if shards else pl.DataFrame(schema=REJECTED_SCHEMA)
    statements = pl.concat([s.statements for s in shards]) if shards else pl.DataFrame(schema=STATEMENT_SCHEMA)
    keys = {s.cache_key for s in shards}
    return YearTables(year, documents, parts, warnings.sort("document_id", "location", maintain_order=True),
                      rejected.sort("source_file"), statements=statements.sort("document_id", "statement_no"),
                      cache_key=keys.pop() if len(keys) == 1 else "",
                      checksums={k: v for s in shards for k, v in s.checksums.items()}, extracted=sum(s.extracted for s in shards))
