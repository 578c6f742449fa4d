"""Stage 1: the inbox read into a raw store, a shard of files per step."""
from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetExecutionContext, DynamicOut, DynamicOutput, OpExecutionContext, graph_asset, op

from assets.resources import InboxResource, ProcessingResource, StagingResource, reading_key
from xxgk.code_version import document_code
from xxgk.inbox import RawStore, read_inbox
from xxgk.listing import scan_inbox
from xxgk.shards import file_shards, merge_raw
from xxgk.staging import earlier_record, join, remove_unreferenced

RAW = "raw_documents"


def progress_logger(context: AssetExecutionContext | OpExecutionContext, what: str, every: int = 200):
    def progress(done: int, total: int, item) -> None:
        if done == total or done % every == 0 or done < every and done % max(1, total // 10) == 0:
            context.log.info(f"{what}: {done}/{total}")

    return progress


def shard_key(number: int) -> str:
    return f"{number:04d}"


@dataclass
class FileShard:
    number: int
    files: list[str]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # entries not read, and why (shard 0 lists them)


@op(out=DynamicOut(FileShard), description="The inbox's files, a shard of them per reading step.")
def inbox_shards(context: OpExecutionContext, inbox: InboxResource, processing: ProcessingResource, staging: StagingResource):
    listing = scan_inbox(inbox.folder, follow_outside_links=inbox.follow_outside_links)
    paths = listing.files
    shards = file_shards(paths, processing.shard_size)  # one at least: shard 0 lists the skipped entries
    context.log.info(f"{len(paths)} files in {inbox.folder} ({len(listing.skipped)} skipped): {len(shards)} shard(s); "
                     f"{processing.worker_count} worker process(es) each")
    # not cleared: the files an earlier run read, unchanged since, keep their rows where they are
    # (read_shard), and merge_raw_shards removes the parts no document needs any more
    for number, files in enumerate(shards):
        yield DynamicOutput(FileShard(number, files, listing.skipped if number == 0 else []), mapping_key=shard_key(number))


@op(description="Read (and OCR) one shard of files into its part files; a file an earlier run read with the same "
                "code and settings, unchanged since, is not read again.")
def read_shard(context: OpExecutionContext, shard: FileShard, inbox: InboxResource, processing: ProcessingResource,
               staging: StagingResource) -> RawStore:
    previous = earlier_record(staging.folder(RAW), RawStore)
    store = read_inbox(
        [Path(f) for f in shard.files], join(staging.folder(RAW), f"shard={shard_key(shard.number)}"),
        max_bytes=inbox.max_bytes, workers=processing.worker_count, verify_share=processing.verify_share,
        budget=processing.budget, skipped=shard.skipped,
        progress=progress_logger(context, f"shard {shard.number}: read"),
        ocr_progress=progress_logger(context, f"shard {shard.number}: OCR pages", every=10),
        previous=previous, cache_key=reading_key(inbox, processing),
    )
    context.log.info(f"shard {shard.number}: {store.files_read} file(s) read, "
                     f"{len(shard.files) - store.files_read} unchanged since an earlier run (not read again)")
    return store


@op(description="The shards' manifests as one raw store.")
def merge_raw_shards(context: OpExecutionContext, shards: list[RawStore], staging: StagingResource) -> RawStore:
    store = merge_raw(sorted(shards, key=lambda s: s.folder), staging.folder(RAW))
    earlier = earlier_record(staging.folder(RAW), RawStore)
    removed = remove_unreferenced(staging.folder(RAW), set(store.documents["part"]), prefix="raw-",
                                  earlier=set(earlier.documents["part"]) if earlier is not None else set())
    if removed:
        context.log.info(f"{removed} part file(s) of earlier runs no longer needed: removed")
    readers = store.documents.group_by("reader").len().sort("reader")
    context.add_output_metadata(
        {
            "files": store.files_seen,
            "documents": store.documents.height,
            "duplicate files": sum(len(v) for v in store.duplicate_files.values()),
            "rejected": len(store.rejected),
            "readers": ", ".join(f"{r}: {n}" for r, n in readers.iter_rows()) or "none",
            "files read": f"{store.files_read} (the other {store.files_seen - store.files_read} unchanged since an "
                          "earlier run, or not files)",
            "shards": len(shards),
        }
    )
    return store


@graph_asset(group_name="ingestion", kinds={"python", "parquet"}, code_version=document_code(), description="Every file in the inbox, read into rows of cells; bad files rejected with a reason.")
def raw_documents() -> RawStore:
    return merge_raw_shards(inbox_shards().map(read_shard).collect())
