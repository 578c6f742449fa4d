"""Which pages of a PDF are images OCR must read, and which of those show a ruled table."""
from __future__ import annotations

import ctypes
import math
import re
import unicodedata

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from xxgk.marks import TABLE_ONLY_WORDS
from xxgk.ocr.image import render_page

MIN_TEXT_CHARS = 20
MIN_IMAGE_RATIO = 0.5


def page_needs_ocr(page_text: str, image_area_ratio: float) -> bool:
    """Whether a page's content must be read by OCR rather than from its text layer.

    True for a page with (almost) no text — a scan, or text drawn as outlines — and for a
    page an image covers most of whose text has none of the table words (a scanned table
    under a typed heading or a stamp's caption).
    """
    chars = len(re.sub(r"\s+", "", page_text or ""))
    if chars < MIN_TEXT_CHARS:
        return True
    folded = re.sub(r"[ \t\u3000]+", "", unicodedata.normalize("NFKC", page_text))
    return image_area_ratio >= MIN_IMAGE_RATIO and not TABLE_ONLY_WORDS.search(folded)


def page_image_coverage(page, grid: int = 64) -> float:
    """The share (0..1) of a pypdfium2 page covered by images, overlaps counted once.

    Images drawn on the page count by their bounds; a form XObject that holds an image
    (some scanners wrap the scan in one) counts by the form's bounds. Raw pdfium calls:
    a page of a text PDF can hold thousands of objects (one per character).
    """
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0
    left0, bottom0, _, _ = page.get_bbox()
    image, form = pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM

    def holds_image(obj) -> bool:
        return any(pdfium_c.FPDFPageObj_GetType(pdfium_c.FPDFFormObj_GetObject(obj, i)) == image
                   for i in range(max(pdfium_c.FPDFFormObj_CountObjects(obj), 0)))

    covered = [[False] * grid for _ in range(grid)]
    found = False
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    for index in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind != image and not (kind == form and holds_image(obj)):
            continue
        if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
            continue
        found = True
        c0 = max(0, int((left.value - left0) / width * grid))
        c1 = min(grid, math.ceil((right.value - left0) / width * grid))
        r0 = max(0, int((bottom.value - bottom0) / height * grid))
        r1 = min(grid, math.ceil((top.value - bottom0) / height * grid))
        for r in range(r0, r1):
            row = covered[r]
            for c in range(c0, c1):
                row[c] = True
    if not found:
        return 0.0
    return sum(map(sum, covered)) / (grid * grid)


GRID_DPI = 72  # at 50 dpi the thin ruling lines of a 200-dpi scan fade to light grey


def has_table_grid(gray, min_lines: int = 3) -> bool:
    """Whether a page image shows a ruled table: several long horizontal and vertical lines.

    Cheap (a page at 72 dpi, ~40 ms): it chooses which image pages are worth the seconds of OCR.
    """
    dark = np.asarray(gray) < 200
    if dark.ndim == 3:
        dark = dark[:, :, 0]
    h, w = dark.shape

    def lines(mask, length: float) -> int:
        """Rows of `mask` holding a run of ink at least `length` long."""
        edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
        count = 0
        for row in edges:
            starts = np.flatnonzero(row == 1)
            if len(starts) and (np.flatnonzero(row == -1) - starts).max() >= length:
                count += 1
        return count

    return lines(dark, 0.4 * w) >= min_lines and lines(dark.T, 0.08 * h) >= min_lines


def pages_with_table_grid(source, pages: list[int]) -> list[int]:
    """Those of `pages` (0-based) of a PDF whose image shows a ruled table."""
    pdf = pdfium.PdfDocument(source)
    try:
        return [i for i in pages if has_table_grid(render_page(pdf, i, GRID_DPI))]
    finally:
        pdf.close()


def pages_needing_ocr(data: bytes) -> list[int]:
    """0-based indices of the pages of a PDF whose content must be read by OCR."""
    pdf = pdfium.PdfDocument(data)
    try:
        out = []
        for i in range(len(pdf)):
            page = pdf[i]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            if page_needs_ocr(text, page_image_coverage(page)):
                out.append(i)
            page.close()
        return out
    finally:
        pdf.close()
