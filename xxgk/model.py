"""The documents as they pass between the stages: raw rows of cells, then normalised ones.

The bottom layer: every reader returns these, normalisation and extraction read them,
the stores write them. It imports only the table grid model (xxgk.grid).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from xxgk.grid import Grid


class DocumentRejected(Exception):
    """A file that is not loaded, with the reason shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# Rejections that say more about the moment than about the file (time, memory, a worker that
# died, a file that could not be opened): a later run tries the file again rather than keep them.
_TRANSIENT = ("out of memory", "died", "killed", "cannot read file", "took longer", "still running")


def transient(reason: str | None) -> bool:
    """Whether a rejection may not happen again on the same bytes with the same code."""
    return any(word in (reason or "") for word in _TRANSIENT)


@dataclass(frozen=True)
class Rejection:
    """A file not loaded: the stage that refused it (ingestion | normalisation | extraction) and why."""

    document_id: str
    source_file: str
    stage: str
    reason: str
    year: int | None = None

    def record(self) -> dict:  # as the stores and the warehouse keep it (REJECTED_SCHEMA's order)
        return {"document_id": self.document_id, "source_file": self.source_file, "stage": self.stage,
                "year": self.year, "reason": self.reason}


@dataclass
class Row:
    """One table row or one line of text, with where it was found."""

    cells: list[str]
    where: str  # "line 57", "page 3", "tr 12"
    confidences: list[float | None] | None = None  # per cell, for rows read by OCR
    provenance: str = "text"  # text | ocr


@dataclass
class RawDocument:
    document_id: str
    source_file: str
    format: str  # txt | pdf | html | docx | doc
    size_bytes: int
    rows: list[Row] = field(default_factory=list)
    pages: int | None = None
    reader: str | None = None  # txt | html | docx | pdfium | pdfplumber, "+ocr" when pages were read by OCR
    reader_check: str | None = None  # why that reader, and where grid and stream disagree: kept in the warehouse
    ocr_pages: list[int] = field(default_factory=list)  # 0-based pages whose content is an image
    grids: list[Grid] = field(default_factory=list)  # the tables whose structure the reader saw (xxgk.grid)
    path: str | None = None  # the file as it can be opened (source_file is for display), until OCR is done


@dataclass
class Cell:
    text: str  # folded, simplified: for matching
    printed: str  # as printed in the source, stripped


@dataclass
class NormalisedRow:
    cells: list[Cell]
    where: str
    confidences: list[float | None] | None = None
    provenance: str = "text"


@dataclass
class NormalisedDocument:
    document_id: str
    source_file: str
    format: str
    size_bytes: int
    agency: str
    year: int
    format_version: str
    rows: list[NormalisedRow] = field(default_factory=list)
    pages: int | None = None
    reader: str | None = None
    reader_check: str | None = None
    grids: list[Grid] = field(default_factory=list)  # cells' text folded, printed kept (GridCell.printed)
