from dagster import AssetExecutionContext, asset

from pipelines.resources import InboxResource
from xxgk.documents import Ingested, ingest, list_inbox


def progress_logger(context: AssetExecutionContext, what: str, every: int = 50):
    def progress(done: int, total: int, item) -> None:
        if done == total or done % every == 0:
            context.log.info(f"{what}: {done}/{total}")

    return progress


@asset(group_name="xxgk", description="Every file in the inbox, read into rows of cells; bad files rejected with a reason.")
def raw_documents(context: AssetExecutionContext, inbox: InboxResource) -> Ingested:
    paths = list_inbox(inbox.folder)
    context.log.info(f"{len(paths)} files in {inbox.folder}")
    ingested = ingest(paths, max_bytes=inbox.max_bytes, workers=inbox.worker_count, progress=progress_logger(context, "read"))
    context.add_output_metadata(
        {
            "files": ingested.files_seen,
            "documents": len(ingested.documents),
            "duplicate files": sum(len(v) for v in ingested.duplicate_files.values()),
            "rejected": len(ingested.rejected),
        }
    )
    return ingested
