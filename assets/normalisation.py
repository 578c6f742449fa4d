"""Stage 2: the raw store normalised, a shard of raw part files per step."""
from dagster import DynamicOut, DynamicOutput, OpExecutionContext, graph_asset, op

from assets.ingestion import progress_logger, shard_key
from assets.partitions import add_years
from assets.resources import ProcessingResource, StagingResource
from xxgk.inbox import RawStore
from xxgk.normalise import NormalisedStore, normalise_store
from xxgk.shards import merge_normalised, raw_shards
from xxgk.staging import clear

NORMALISED = "normalised_documents"


@op(out=DynamicOut(RawStore), description="The raw documents, a shard of part files per normalising step.")
def raw_document_shards(context: OpExecutionContext, raw_documents: RawStore, processing: ProcessingResource,
                        staging: StagingResource):
    clear(staging.folder(NORMALISED))
    for number, shard in enumerate(raw_shards(raw_documents, processing.shard_size)):
        yield DynamicOutput(shard, mapping_key=shard_key(number))


@op(description="Normalise one shard of raw documents.")
def normalise_shard(context: OpExecutionContext, shard: RawStore, processing: ProcessingResource,
                    staging: StagingResource) -> NormalisedStore:
    return normalise_store(shard, staging.folder(NORMALISED), workers=processing.worker_count,
                           progress=progress_logger(context, "normalised"), budget=processing.budget)


@op(description="The shards' manifests as one normalised store.")
def merge_normalised_shards(context: OpExecutionContext, raw_documents: RawStore, shards: list[NormalisedStore],
                            staging: StagingResource) -> NormalisedStore:
    store = merge_normalised(raw_documents, shards, staging.folder(NORMALISED))
    added = add_years(context.instance, store.years)  # each year found becomes a partition of the year assets
    if added:
        context.log.info(f"new year partitions: {', '.join(added)}")
    context.add_output_metadata(
        {
            "reports": store.documents.height,
            "years": ", ".join(map(str, store.years)) or "none",
            "rejected": len(store.rejected) - len(raw_documents.rejected),
        }
    )
    return store


@graph_asset(group_name="normalisation", kinds={"polars", "parquet"}, description="Simplified script, pinyin removed, widths folded; agency, year and template detected.")
def normalised_documents(raw_documents: RawStore) -> NormalisedStore:
    shards = raw_document_shards(raw_documents).map(normalise_shard).collect()
    return merge_normalised_shards(raw_documents, shards)
