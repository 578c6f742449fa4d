"""Whether a reading of a PDF can be trusted: the pipeline's own normalisation and
extraction, run on it. The stage that reads the inbox hands this judge to the PDF reader
(:func:`xxgk.readers.pdf.read_pdf`), which sits below normalisation and cannot import it."""
from __future__ import annotations

from xxgk.extract.tables import extract_report
from xxgk.model import DocumentRejected, RawDocument, Row
from xxgk.normalise import normalise_document
from xxgk.readers.pdf import Facts

# Warnings of the extractor that say a table was not read completely.
INCOMPLETE_KINDS = frozenset({"missing_table", "missing_row", "row_length", "unlabelled_values", "duplicate_row"})


def reading_facts(rows: list[Row]) -> Facts:
    """The facts of a reading: what normalisation and extraction take from it, and whether
    its tables are complete (sections 二, 三, 四 found, every row labelled and full)."""
    try:
        doc = normalise_document(RawDocument("check", "check.pdf", "pdf", 0, rows))
    except DocumentRejected as exc:
        return Facts(None, frozenset(), exc.reason)
    extraction = extract_report(doc)
    kinds = sorted({w["kind"] for w in extraction.warnings if w["kind"] in INCOMPLETE_KINDS})
    incomplete = ", ".join(kinds) or None
    if incomplete is None and any(c["cell_status"] == "not_placed" for c in extraction.cells):
        incomplete = "cells not placed"
    cells = frozenset((c["category_code"], c["applicant_type"], c["measure"], c["value"], c["printed"], c["cell_status"])
                      for c in extraction.cells)
    return Facts((doc.agency, doc.year, doc.format_version), cells, incomplete)
