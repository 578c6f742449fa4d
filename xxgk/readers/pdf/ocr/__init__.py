"""OCR of scanned report pages into the same rows of cells as the text-layer readers.

Offline only: the engine is RapidOCR (``rapidocr`` + ``onnxruntime``) with the models that
ship *inside* the ``rapidocr`` wheel, passed by path, so nothing is ever downloaded; if they
are missing, :class:`OcrUnavailable` says so instead of reaching for the network.

The guarantees are those of text extraction: a cell is what was printed, or it is marked
as not read. Rows and columns are rebuilt from the *positions* of the boxes (never from the
order the engine returns them in):

- value rows are the y-clusters of numeric boxes; tables are runs of value rows not
  separated by a title or header printed across their value columns;
- a table's value columns are the x-clusters of its numeric boxes plus the columns that
  only a header cell (自然人, 总计, 本年制发件数, …) shows;
- every (row, column) of that grid holds a value: the number read there, or :data:`UNREAD`
  (nothing found, confidence too low, or text that is not a number) — never a neighbour's
  value and never 0;
- the row labels are the text boxes left of the values, on the row whose band they overlap
  most (wrapped lines of one cell are joined; a label column's cells are ordered left to
  right, so a group heading such as （三）不予公开 comes before its item 1.属于国家秘密);
- a table none of whose numbers was found (a one-row table whose lone 0 the detector
  missed) still gives its rows: the labels under a line of column headers, one value per
  header, each read again from the ink or UNREAD;
- everything else is text lines in reading order, one cell per line (a line of column
  headers keeps one cell per header).

Where the detector found nothing, the page's ink is looked at again: a box whose line goes
on in ink next to it is recognised again, wider (the bold 三、 of a heading is easily lost,
and with it the section); a grid cell with no box whose ink (other boxes and ruling lines
left out) reads as a number with confidence gets that number. A cell with no ink stays
UNREAD: a blank printed cell and a lost number cannot be told apart on a scan.

Layout (:func:`layout_rows`) is pure geometry over :class:`Box` lists, testable without OCR.

The modules, bottom up: ``boxes`` (boxes, rows, numbers), ``image`` (rendering, ink),
``engine`` (RapidOCR), ``columns`` and ``cells`` (a table's grid and its cells),
``layout`` (boxes -> rows), ``page`` (one page), ``render`` (pages in a pool of
processes), ``classify`` (which pages are images, which show a ruled table).
"""
from __future__ import annotations

from xxgk.marks import UNREAD
from xxgk.readers.pdf.ocr.boxes import VALUE_MIN_SCORE, Box, OcrRow, as_rows, normalise_number
from xxgk.readers.pdf.ocr.classify import (
    has_table_grid,
    page_image_coverage,
    page_needs_ocr,
    pages_needing_ocr,
    pages_with_table_grid,
)
from xxgk.readers.pdf.ocr.engine import OcrUnavailable, bundled_models, make_engine, read_boxes
from xxgk.readers.pdf.ocr.image import DEFAULT_DPI, render_page
from xxgk.readers.pdf.ocr.layout import layout_rows
from xxgk.readers.pdf.ocr.page import ocr_page
from xxgk.readers.pdf.ocr.render import ocr_pages, ocr_pdf_pages

__all__ = [
    "DEFAULT_DPI",
    "UNREAD",
    "VALUE_MIN_SCORE",
    "Box",
    "OcrRow",
    "OcrUnavailable",
    "as_rows",
    "bundled_models",
    "has_table_grid",
    "layout_rows",
    "make_engine",
    "normalise_number",
    "ocr_page",
    "ocr_pages",
    "ocr_pdf_pages",
    "page_image_coverage",
    "page_needs_ocr",
    "pages_needing_ocr",
    "pages_with_table_grid",
    "read_boxes",
    "render_page",
]
