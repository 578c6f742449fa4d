from pathlib import Path

from dagster import AssetExecutionContext, asset

from assets.ingestion import progress_logger
from pipelines.resources import ProcessingResource
from xxgk.inbox import RawStore
from xxgk.normalise import NormalisedStore, normalise_store


@asset(group_name="xxgk", description="Simplified script, pinyin removed, widths folded; agency, year and template detected.")
def normalised_documents(context: AssetExecutionContext, raw_documents: RawStore, processing: ProcessingResource) -> NormalisedStore:
    store = normalise_store(raw_documents, Path(raw_documents.folder).parent / "normalised",
                            workers=processing.worker_count, progress=progress_logger(context, "normalised"))
    context.add_output_metadata(
        {
            "reports": store.documents.height,
            "years": ", ".join(map(str, store.years)) or "none",
            "rejected": len(store.rejected) - len(raw_documents.rejected),
        }
    )
    return store
