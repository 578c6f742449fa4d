"""The reference reading of a PDF: pdfplumber (pdfminer's parse), its table finder on the
ruled tables and the gaps between words for the text around them.

Slow (pdfminer parses every object of the page in Python) and exact: the reading that the
fast one (:mod:`xxgk.readers.pdf.grid` on pdfium's objects) is judged against, and the one kept
whenever the fast one cannot be trusted.
"""
from __future__ import annotations

import io

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from xxgk.grid import Grid
from xxgk.model import DocumentRejected, Row
from xxgk.readers.pdf.grid import mend_cells, outside_cells, table_grid
from xxgk.readers.pdf.layout import outside, page_rows


def reference_pages(data: bytes, pages: set[int] | None, texts: dict[int, str]
                    ) -> tuple[dict[int, list[Row]], dict[int, list[tuple[int, Grid]]], int]:
    """pdfplumber on `pages` (None: all); the other pages in `texts` as one cell per line.

    Returns {page: rows}, {page: [(index of the table's first row, its grid)]}, page count.
    """
    rows: dict[int, list[Row]] = {}
    grids: dict[int, list[tuple[int, Grid]]] = {}
    if pages is not None and not pages:
        return {i: text_rows(text, i) for i, text in texts.items()}, {}, len(texts)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            n_pages = len(pdf.pages)
            chars_seen = 0
            for index, page in enumerate(pdf.pages):
                if pages is not None and index not in pages:
                    continue
                page = page.dedupe_chars()  # fake-bold text is drawn twice
                chars_seen += len(page.chars)
                rows[index], grids[index] = _page(page, f"page {index + 1}")
    except MemoryError:
        raise  # the document's budget, not damage
    except Exception as exc:  # pdfminer raises many kinds on damaged files, pdfplumber wraps them
        causes = [exc, *exc.args, exc.__cause__, exc.__context__]
        if any(isinstance(c, (PDFPasswordIncorrect, PDFEncryptionError)) for c in causes) or "password" in str(exc).lower():
            raise DocumentRejected("encrypted PDF: cannot be read without its password") from None
        inner = next((c for c in causes[1:] if isinstance(c, BaseException)), exc)
        raise DocumentRejected(f"corrupt or truncated PDF: {str(inner) or type(inner).__name__}") from None
    if pages is None and chars_seen == 0:
        raise DocumentRejected(
            f"PDF has no text layer ({n_pages} page(s) of images, probably a scan), and OCR could not read it"
        )
    for index, text in texts.items():
        if index not in rows:
            rows[index] = text_rows(text, index)
    return rows, grids, n_pages


def text_rows(text: str, index: int) -> list[Row]:
    """A page's text lines, one cell each."""
    return [Row([line.strip()], f"page {index + 1}") for line in text.splitlines() if line.strip()]


def _page(page, where: str) -> tuple[list[Row], list[tuple[int, Grid]]]:
    tables = []
    for table in page.find_tables():
        table = mend_cells(table, page.chars)
        cells = outside_cells(table, table.extract(), page.chars)
        # WPS draws a ruled frame around body text: a one-column "table" is text, not a table.
        if max((len(r) for r in cells), default=0) < 2:
            continue
        tables.append((table.bbox, cells, table_grid(table, cells, where)))
    boxes = [bbox for bbox, _, _ in tables]
    text_page = page.filter(outside(boxes)) if boxes else page
    rows, starts = page_rows([(bbox, cells) for bbox, cells, _ in tables], text_page.extract_words(extra_attrs=["size"]), where)
    return rows, [(start, grid) for start, (_, _, grid) in zip(starts, tables)]
