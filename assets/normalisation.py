"""Stage 2: the raw store normalised, a shard of raw part files per step."""
import datetime as dt

from dagster import DynamicOut, DynamicOutput, OpExecutionContext, graph_asset, op

from assets.ingestion import progress_logger, shard_key
from assets.partitions import add_years
from assets.resources import InboxResource, ProcessingResource, StagingResource, normalising_key
from xxgk.code_version import document_code
from xxgk.inbox import RawStore
from xxgk.normalise import NormalisedStore, normalise_store
from xxgk.shards import merge_normalised, raw_shards
from xxgk.staging import earlier_record, remove_unreferenced

NORMALISED = "normalised_documents"


@op(out=DynamicOut(RawStore), description="The raw documents, a shard of part files per normalising step.")
def raw_document_shards(context: OpExecutionContext, raw_documents: RawStore, processing: ProcessingResource,
                        staging: StagingResource):
    # not cleared: documents normalised before keep their parts (normalise_shard); the merge removes the rest
    for number, shard in enumerate(raw_shards(raw_documents, processing.shard_size)):
        yield DynamicOutput(shard, mapping_key=shard_key(number))


@op(description="Normalise one shard of raw documents; a document normalised by an earlier run with the same code "
                "is taken as it is.")
def normalise_shard(context: OpExecutionContext, shard: RawStore, inbox: InboxResource, processing: ProcessingResource,
                    staging: StagingResource) -> NormalisedStore:
    today = dt.date.today()
    return normalise_store(shard, staging.folder(NORMALISED), workers=processing.worker_count,
                           progress=progress_logger(context, "normalised"), budget=processing.budget, today=today,
                           previous=earlier_record(staging.folder(NORMALISED), NormalisedStore),
                           cache_key=normalising_key(inbox, processing, today))


@op(description="The shards' manifests as one normalised store.")
def merge_normalised_shards(context: OpExecutionContext, raw_documents: RawStore, shards: list[NormalisedStore],
                            staging: StagingResource) -> NormalisedStore:
    store = merge_normalised(raw_documents, shards, staging.folder(NORMALISED))
    earlier = earlier_record(staging.folder(NORMALISED), NormalisedStore)
    removed = remove_unreferenced(staging.folder(NORMALISED), set(store.documents["part"]), prefix="norm-",
                                  earlier=set(earlier.documents["part"]) if earlier is not None else set())
    if removed:
        context.log.info(f"{removed} part file(s) of earlier runs no longer needed: removed")
    added = add_years(context.instance, store.years)  # each year found becomes a partition of the year assets
    if added:
        context.log.info(f"new year partitions: {', '.join(added)}")
    context.add_output_metadata(
        {
            "reports": store.documents.height,
            "years": ", ".join(map(str, store.years)) or "none",
            "rejected": len(store.rejected) - len(raw_documents.rejected),
            "normalised": f"{store.normalised} (the other {raw_documents.documents.height - store.normalised} as an "
                          "earlier run normalised them)",
        }
    )
    return store


@graph_asset(group_name="normalisation", kinds={"polars", "parquet"}, code_version=document_code(), description="Simplified script, pinyin removed, widths folded; agency, year and template detected.")
def normalised_documents(raw_documents: RawStore) -> NormalisedStore:
    shards = raw_document_shards(raw_documents).map(normalise_shard).collect()
    return merge_normalised_shards(raw_documents, shards)
