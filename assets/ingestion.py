from dagster import AssetExecutionContext, asset

from pipelines.resources import InboxResource, ProcessingResource
from xxgk.documents import list_inbox
from xxgk.inbox import RawStore, read_inbox
from xxgk.staging import new_dir, prune


def progress_logger(context: AssetExecutionContext, what: str, every: int = 200):
    def progress(done: int, total: int, item) -> None:
        if done == total or done % every == 0 or done < every and done % max(1, total // 10) == 0:
            context.log.info(f"{what}: {done}/{total}")

    return progress


@asset(group_name="xxgk", description="Every file in the inbox, read into rows of cells; bad files rejected with a reason.")
def raw_documents(context: AssetExecutionContext, inbox: InboxResource, processing: ProcessingResource) -> RawStore:
    paths = list_inbox(inbox.folder)
    context.log.info(f"{len(paths)} files in {inbox.folder}; {processing.worker_count} worker process(es)")
    prune(processing.folder, "inbox", keep=processing.keep_stores - 1)
    store_dir = new_dir(processing.folder, "inbox")
    store = read_inbox(
        paths, store_dir / "raw", max_bytes=inbox.max_bytes, workers=processing.worker_count,
        verify_share=processing.verify_share, progress=progress_logger(context, "read"),
        ocr_progress=progress_logger(context, "OCR pages", every=10),
    )
    readers = store.documents.group_by("reader").len().sort("reader")
    context.add_output_metadata(
        {
            "files": store.files_seen,
            "documents": store.documents.height,
            "duplicate files": sum(len(v) for v in store.duplicate_files.values()),
            "rejected": len(store.rejected),
            "readers": ", ".join(f"{r}: {n}" for r, n in readers.iter_rows()) or "none",
            "store": str(store_dir),
        }
    )
    return store
