from dataclasses import dataclass

from dagster import AssetExecutionContext, asset

from assets.ingestion import progress_logger
from xxgk.documents import Ingested
from xxgk.normalise import NormalisedDocument, normalise_all


@dataclass
class NormalisedBatch:
    documents: list[NormalisedDocument]
    rejected: list[dict]  # ingestion and normalisation rejects
    duplicate_files: dict[str, list[str]]
    files_seen: int

    @property
    def years(self) -> list[int]:
        return sorted({d.year for d in self.documents})


@asset(group_name="xxgk", description="Simplified script, pinyin removed, widths folded; agency, year and template detected.")
def normalised_documents(context: AssetExecutionContext, raw_documents: Ingested) -> NormalisedBatch:
    documents, rejected = normalise_all(raw_documents.documents, progress=progress_logger(context, "normalised"))
    batch = NormalisedBatch(documents, raw_documents.rejected + rejected, raw_documents.duplicate_files, raw_documents.files_seen)
    context.add_output_metadata(
        {
            "reports": len(documents),
            "years": ", ".join(map(str, batch.years)) or "none",
            "rejected": len(rejected),
        }
    )
    return batch
